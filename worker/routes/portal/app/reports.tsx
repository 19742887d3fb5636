import { z } from 'zod'
import {
  REPORT_COMPARISONS,
  REPORT_FORMATS,
  REPORT_FREQUENCIES,
  REPORT_LANGUAGES,
  REPORT_PERIODS,
} from '../../../../db/schema/index.ts'
import type { FormState } from '../../../../portal/components/forms.tsx'
import type { MessageKey } from '../../../../portal/i18n/index.ts'
import {
  type ConnectionChoice,
  DeleteSchedulePage,
  NewSchedulePage,
  type ReportsAbility,
  ReportsPage,
  type RunView,
  SchedulePage,
  type ScheduleView,
} from '../../../../portal/pages/app/reports.tsx'
import { roleCan } from '../../../auth/permissions.ts'
import { ApiError, notFound } from '../../../errors.ts'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { memberTimeZone } from '../../../middleware/portal-locale.ts'
import { listConnections } from '../../../services/connections/connections.ts'
import type { ServiceContext } from '../../../services/context.ts'
import {
  listRuns,
  previewSchedule,
  readRunFile,
  releaseRun,
  skipRun,
} from '../../../services/reports/runs.ts'
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listSchedules,
  type ScheduleInput,
  updateSchedule,
} from '../../../services/reports/schedules.ts'
import { isTimeZone } from '../../../services/scheduling/zones.ts'
import { formValues, many, one, readForm } from '../forms.ts'
import {
  attempt,
  changeThenBack,
  errorFromQuery,
  type PortalContext,
  portalRun,
  seeOther,
  signedIn,
} from '../run.ts'

/** Scheduled reports are part of the metrics module (docs/reports.md). */
const metrics = { module: 'metrics' } as const
const BASE = '/app/reports'
const SCHEDULE_ID = /^rps_[0-9a-z]{20}$/
const RUN_ID = /^rpr_[0-9a-z]{20}$/
const CONNECTION_ID = /^con_[0-9a-z]{20}$/

const DONE: Record<string, MessageKey> = {
  created: 'reports.done.created',
  saved: 'reports.done.saved',
  paused: 'reports.done.paused',
  resumed: 'reports.done.resumed',
  deleted: 'reports.done.deleted',
  preview: 'reports.done.preview',
  released: 'reports.done.released',
  skipped: 'reports.done.skipped',
}

const idOf = (c: PortalContext, pattern: RegExp, what: string) => {
  const id = c.req.param('id') ?? ''
  if (!pattern.test(id)) throw notFound(what)
  return id
}

/** Addresses typed one per line, or separated by commas or semicolons. */
const addresses = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((address) => address.trim())
    .filter(Boolean)

/** The form as the API's fields read it; weekday and day of month both come, one is kept. */
const scheduleForm = z.object({
  name: z.string().trim().min(1).max(120),
  frequency: z.enum(REPORT_FREQUENCIES),
  weekday: z.coerce.number().int().min(1).max(7),
  month_day: z.coerce.number().int().min(1).max(28),
  local_time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
  time_zone: z.string().trim().max(64).refine(isTimeZone),
  period: z.enum(REPORT_PERIODS),
  period_days: z.coerce.number().int().min(1).max(366),
  comparison: z.enum(REPORT_COMPARISONS),
  language: z.enum(REPORT_LANGUAGES),
  format: z.enum(REPORT_FORMATS),
  recipients: z
    .string()
    .transform(addresses)
    .pipe(z.array(z.email().max(254)).min(1).max(50)),
  hold_for_review: z.literal('yes').optional(),
})

function inputOf(form: z.infer<typeof scheduleForm>, connectionIds: string[]): ScheduleInput {
  return {
    name: form.name,
    connectionIds: connectionIds.length > 0 ? connectionIds : null,
    platforms: null,
    frequency: form.frequency,
    weekday: form.frequency === 'weekly' ? form.weekday : null,
    monthDay: form.frequency === 'monthly' ? form.month_day : null,
    localTime: form.local_time,
    timeZone: form.time_zone,
    period: form.period,
    periodDays: form.period === 'last_n_days' ? form.period_days : null,
    comparison: form.comparison,
    language: form.language,
    recipients: [...new Set(form.recipients.map((address) => address.toLowerCase()))],
    format: form.format,
    holdForReview: form.hold_for_review === 'yes',
  }
}

/** What the page offers; the verbs refuse the rest (a forged post gets 403). */
const abilityOf = (c: PortalContext): ReportsAbility => {
  const viewer = c.var.viewer
  const role = viewer?.kind === 'member' ? viewer.role : null
  return {
    manage: role !== null && roleCan(role, 'reports.manage'),
    preview: role !== null && roleCan(role, 'reports.preview'),
  }
}

const emailOf = (c: PortalContext) => (c.var.viewer?.kind === 'member' ? c.var.viewer.email : '')

async function connectionChoices(ctx: ServiceContext): Promise<ConnectionChoice[]> {
  const { data } = await listConnections(ctx, { limit: 200 })
  return data.map((row) => ({
    id: row.id,
    name: row.displayName ?? row.label ?? row.platform,
    platform: row.platform,
  }))
}

/**
 * A change made through a verb, then back to `back` with what happened. A refusal that is the
 * form's business (a conflict, a run no longer held) is a message on the page; an unknown or
 * foreign id, a role without the permission or a plan without the module is the error page.
 */
const act = (c: PortalContext, back: string, done: string, work: (ctx: ServiceContext) => Promise<unknown>) =>
  changeThenBack(c, back, done, work, metrics)

/** Where a run's buttons came from: the list or one schedule's page, nothing else. */
const backOf = (value: unknown) =>
  typeof value === 'string' && /^\/app\/reports(\/schedules\/rps_[0-9a-z]{20})?$/.test(value) ? value : BASE

async function schedulePage(c: PortalContext, id: string, state?: FormState) {
  const data = await portalRun(
    c,
    async (ctx) => ({
      schedule: (await getSchedule(ctx, id)) as ScheduleView,
      runs: (await listRuns(ctx, { scheduleId: id, limit: 50 })).data as RunView[],
      connections: await connectionChoices(ctx),
    }),
    metrics,
  )
  if (state) c.status(400)
  return c.render(
    <SchedulePage
      {...data}
      can={abilityOf(c)}
      timeZone={memberTimeZone(c)}
      email={emailOf(c)}
      state={state}
      notice={DONE[c.req.query('done') ?? '']}
      error={errorFromQuery(c)}
    />,
    { title: data.schedule.name },
  )
}

async function newPage(c: PortalContext, state?: FormState) {
  const connections = await portalRun(
    c,
    async (ctx) => {
      // The form is for those who may create: an analyst's forged GET is refused like the post.
      if (!roleCan(ctx.principal.kind === 'member' ? ctx.principal.role : 'viewer', 'reports.manage'))
        throw new ApiError(403, 'FORBIDDEN', 'This role cannot manage scheduled reports.')
      return connectionChoices(ctx)
    },
    metrics,
  )
  if (state) c.status(400)
  return c.render(
    <NewSchedulePage
      action={`${BASE}/schedules`}
      connections={connections}
      timeZone={memberTimeZone(c)}
      state={state}
      email={emailOf(c)}
    />,
    { title: c.var.i18n.t('reports.new') },
  )
}

/** The client portal's scheduled reports, through the API's own verbs (docs/reports.md). */
export function registerPortalReports(portal: PortalApp) {
  portal.use(BASE, signedIn('member'))
  portal.use(`${BASE}/*`, signedIn('member'))

  portal.get(BASE, async (c) => {
    const data = await portalRun(
      c,
      async (ctx) => ({
        schedules: (await listSchedules(ctx)).data as ScheduleView[],
        runs: (await listRuns(ctx, { limit: 50 })).data as RunView[],
      }),
      metrics,
    )
    const names = Object.fromEntries(data.schedules.map((s) => [s.id, s.name]))
    return c.render(
      <ReportsPage
        {...data}
        names={names}
        can={abilityOf(c)}
        timeZone={memberTimeZone(c)}
        notice={DONE[c.req.query('done') ?? '']}
        error={errorFromQuery(c)}
      />,
      { title: c.var.i18n.t('reports.title') },
    )
  })

  portal.get(`${BASE}/new`, (c) => newPage(c))

  portal.post(`${BASE}/schedules`, async (c) => {
    const form = await readForm(c, scheduleForm)
    if (!form.ok) return newPage(c, { values: form.values, errors: form.errors, message: 'form.fix' })
    const connectionIds = many(form.values, 'connection_ids').filter((id) => CONNECTION_ID.test(id))
    const outcome = await attempt(() =>
      portalRun(c, (ctx) => createSchedule(ctx, inputOf(form.data, connectionIds)), metrics),
    )
    if (!outcome.ok) {
      if (outcome.error.status === 403) throw outcome.error
      return newPage(c, { values: form.values, errors: outcome.fields, message: outcome.message })
    }
    return seeOther(c, `${BASE}/schedules/${outcome.value?.id}?done=created`)
  })

  portal.get(`${BASE}/schedules/:id`, (c) => schedulePage(c, idOf(c, SCHEDULE_ID, 'report schedule')))

  portal.post(`${BASE}/schedules/:id`, async (c) => {
    const id = idOf(c, SCHEDULE_ID, 'report schedule')
    const form = await readForm(c, scheduleForm)
    if (!form.ok)
      return schedulePage(c, id, { values: form.values, errors: form.errors, message: 'form.fix' })
    const connectionIds = many(form.values, 'connection_ids').filter((cid) => CONNECTION_ID.test(cid))
    // Platforms are the API's scope: the form leaves them as they are.
    const { platforms: _kept, ...input } = inputOf(form.data, connectionIds)
    const outcome = await attempt(() => portalRun(c, (ctx) => updateSchedule(ctx, id, input), metrics))
    if (!outcome.ok) {
      if (outcome.error.status === 403 || outcome.error.status === 404) throw outcome.error
      return schedulePage(c, id, { values: form.values, errors: outcome.fields, message: outcome.message })
    }
    return seeOther(c, `${BASE}/schedules/${id}?done=saved`)
  })

  portal.post(`${BASE}/schedules/:id/active`, async (c) => {
    const id = idOf(c, SCHEDULE_ID, 'report schedule')
    const active = one(await formValues(c), 'active') === 'yes'
    return act(c, `${BASE}/schedules/${id}`, active ? 'resumed' : 'paused', (ctx) =>
      updateSchedule(ctx, id, { active }),
    )
  })

  portal.post(`${BASE}/schedules/:id/preview`, (c) => {
    const id = idOf(c, SCHEDULE_ID, 'report schedule')
    return act(c, `${BASE}/schedules/${id}`, 'preview', (ctx) => previewSchedule(ctx, id))
  })

  portal.get(`${BASE}/schedules/:id/delete`, async (c) => {
    const id = idOf(c, SCHEDULE_ID, 'report schedule')
    const data = await portalRun(
      c,
      async (ctx) => {
        const schedule = (await getSchedule(ctx, id)) as ScheduleView
        if (!roleCan(ctx.principal.kind === 'member' ? ctx.principal.role : 'viewer', 'reports.manage'))
          throw new ApiError(403, 'FORBIDDEN', 'This role cannot manage scheduled reports.')
        return { schedule, runs: (await listRuns(ctx, { scheduleId: id, limit: 100 })).data.length }
      },
      metrics,
    )
    return c.render(<DeleteSchedulePage {...data} />, {
      title: c.var.i18n.t('reports.deleteTitle', { name: data.schedule.name }),
    })
  })

  portal.post(`${BASE}/schedules/:id/delete`, (c) => {
    const id = idOf(c, SCHEDULE_ID, 'report schedule')
    return act(c, BASE, 'deleted', (ctx) => deleteSchedule(ctx, id))
  })

  portal.post(`${BASE}/runs/:id/release`, async (c) => {
    const id = idOf(c, RUN_ID, 'report run')
    const back = backOf(one(await formValues(c), 'back'))
    return act(c, back, 'released', (ctx) => releaseRun(ctx, id))
  })

  portal.post(`${BASE}/runs/:id/skip`, async (c) => {
    const id = idOf(c, RUN_ID, 'report run')
    const back = backOf(one(await formValues(c), 'back'))
    return act(c, back, 'skipped', (ctx) => skipRun(ctx, id))
  })

  /** The stored PDF (also the link a "link" e-mail carries): for members who may read reports. */
  portal.get(`${BASE}/runs/:id/file`, async (c) => {
    const id = idOf(c, RUN_ID, 'report run')
    const file = await portalRun(c, (ctx) => readRunFile(ctx, id), metrics)
    return c.body(file.body, 200, {
      'content-type': 'application/pdf',
      'content-length': String(file.size),
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.filename)}`,
      'cache-control': 'private, no-store',
    })
  })
}
