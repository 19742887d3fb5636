import { z } from 'zod'
import type { MessageKey } from '../../../../portal/i18n/index.ts'
import {
  ProfessionalPlanPage,
  ScheduleSettingsPage,
} from '../../../../portal/pages/app/schedule-settings.tsx'
import { can } from '../../../auth/permissions.ts'
import { ApiError, notFound } from '../../../errors.ts'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { memberTimeZone } from '../../../middleware/portal-locale.ts'
import type { ServiceContext } from '../../../services/context.ts'
import {
  createBlockedPeriod,
  deleteBlockedPeriod,
  listBlockedPeriods,
} from '../../../services/scheduling/blocked-periods.ts'
import {
  createProfessional,
  deleteException,
  getProfessional,
  getWorkingPlan,
  listExceptions,
  listProfessionals,
  setException,
  setWorkingPlan,
  type WorkingDay,
} from '../../../services/scheduling/professionals.ts'
import {
  listReminderRules,
  reminderTemplateChoices,
  setReminderRules,
  setReminderTemplate,
} from '../../../services/scheduling/reminders.ts'
import { createService, listServices, updateService } from '../../../services/scheduling/services.ts'
import { isTimeZone, minuteOf, zonedInstant } from '../../../services/scheduling/zones.ts'
import { type FormValues, formValues, many, one } from '../forms.ts'
import { errorFromQuery, type PortalContext, portalRun, seeOther, signedIn } from '../run.ts'
import { changeSchedule, scheduling } from './schedule.tsx'

const ID = (prefix: string) => new RegExp(`^${prefix}_[0-9a-z]{20}$`)
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/
const SETTINGS = '/app/schedule/settings'

const DONE: Record<string, MessageKey> = {
  saved: 'schedule.settings.saved',
}

const idParam = (c: PortalContext, prefix: string) => {
  const id = c.req.param('id') ?? c.req.param('item') ?? ''
  if (!ID(prefix).test(id)) throw notFound(prefix)
  return id
}

/** "150,00", "150.00" or "150" reais → centavos; null when it is not a price. */
export function centsOf(text: string): number | null {
  const match = /^(\d{1,7})(?:[.,](\d{1,2}))?$/.exec(text.trim())
  if (!match) return null
  return Number(match[1]) * 100 + Number((match[2] ?? '0').padEnd(2, '0'))
}

/**
 * "24, 2" or "0,5" hours before → minutes ([1440, 120], [30]), each from 5 minutes to 14 days, at
 * most 5; null when it is not such a list. Empty is no reminders.
 */
export function minutesOf(text: string): number[] | null {
  const parts = text.split(/[;\s]+|,(?!\d)|,\s+/).filter((part) => part !== '')
  const minutes = parts.map((part) => Math.round(Number(part.replace(',', '.')) * 60))
  if (minutes.length > 5 || minutes.some((m) => !Number.isFinite(m) || m < 5 || m > 20160)) return null
  return minutes
}

const serviceForm = z.object({
  name: z.string().trim().min(1).max(200),
  duration: z.coerce.number().int().min(5).max(720),
  price: z.string().refine((text) => centsOf(text) !== null),
  capacity: z.coerce.number().int().min(1).max(500),
})

/** A `datetime-local` value read on the staff's wall clock. */
function instantOf(value: string, zone: string): Date | null {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})$/.exec(value)
  if (!match || Number.isNaN(Date.parse(`${match[1]}T00:00:00Z`))) return null
  return zonedInstant(match[1] as string, minuteOf(match[2] as string), zone)
}

/** The week's plan from the form: a day with neither start nor end is a day off. */
function planOf(values: FormValues): WorkingDay[] | null {
  const days: WorkingDay[] = []
  for (let weekday = 0; weekday < 7; weekday++) {
    const [start, end, breakStart, breakEnd] = ['start', 'end', 'break_start', 'break_end'].map((name) =>
      one(values, `${name}_${weekday}`),
    ) as [string, string, string, string]
    if (!start && !end) continue
    if (!TIME.test(start) || !TIME.test(end) || end <= start) return null
    const hasBreak = Boolean(breakStart || breakEnd)
    if (hasBreak && (!TIME.test(breakStart) || !TIME.test(breakEnd) || breakEnd <= breakStart)) return null
    days.push({
      weekday,
      hours: [{ start, end }],
      breaks: hasBreak ? [{ start: breakStart, end: breakEnd }] : [],
    })
  }
  return days
}

/** A manager's change, back to `back` with what happened (see `changeThenBack` in run.ts). */
const act = (c: PortalContext, back: string, work: (ctx: ServiceContext) => Promise<unknown>) =>
  changeSchedule(c, back, 'saved', work)

export function registerPortalScheduleSettings(portal: PortalApp) {
  portal.get(SETTINGS, signedIn('member'), async (c) => {
    const data = await portalRun(
      c,
      async (ctx) => ({
        services: (await listServices(ctx, { limit: 100 })).data,
        professionals: (await listProfessionals(ctx, { limit: 100 })).data,
        blocked: (await listBlockedPeriods(ctx, { from: ctx.now })).data,
        reminders: await listReminderRules(ctx),
        // Only managers choose the template (and the forms are theirs); others read the rules.
        templates: can(ctx.principal, 'scheduling.manage') ? (await reminderTemplateChoices(ctx)).data : [],
      }),
      scheduling,
    )
    return c.render(
      <ScheduleSettingsPage
        services={data.services}
        professionals={data.professionals}
        blocked={data.blocked}
        reminders={data.reminders}
        templates={data.templates}
        timeZone={memberTimeZone(c)}
        notice={DONE[c.req.query('done') ?? '']}
        error={errorFromQuery(c)}
      />,
      { title: c.var.i18n.t('schedule.settings.title') },
    )
  })

  portal.post(`${SETTINGS}/services`, signedIn('member'), async (c) => {
    const values = await formValues(c)
    const form = serviceForm.safeParse(values)
    const professionalIds = many(values, 'professionals')
    if (!form.success || professionalIds.some((id) => !ID('pro').test(id)))
      return seeOther(c, `${SETTINGS}?error=VALIDATION_FAILED`)
    return act(c, SETTINGS, (ctx) =>
      createService(ctx, {
        name: form.data.name,
        durationMinutes: form.data.duration,
        priceCents: centsOf(form.data.price) ?? 0,
        capacity: form.data.capacity,
        professionalIds,
      }),
    )
  })

  portal.post(`${SETTINGS}/services/:id/active`, signedIn('member'), async (c) => {
    const id = idParam(c, 'svc')
    const active = one(await formValues(c), 'active') === 'yes'
    return act(c, SETTINGS, (ctx) => updateService(ctx, id, { active }))
  })

  portal.post(`${SETTINGS}/professionals`, signedIn('member'), async (c) => {
    const values = await formValues(c)
    const name = one(values, 'name').trim()
    const timeZone = one(values, 'time_zone').trim()
    if (!name || name.length > 200 || !isTimeZone(timeZone))
      return seeOther(c, `${SETTINGS}?error=VALIDATION_FAILED`)
    return act(c, SETTINGS, (ctx) => createProfessional(ctx, { name, timeZone }))
  })

  portal.post(`${SETTINGS}/blocked`, signedIn('member'), async (c) => {
    const values = await formValues(c)
    const reason = one(values, 'reason').trim()
    if (reason.length > 500) return seeOther(c, `${SETTINGS}?error=VALIDATION_FAILED`)
    return act(c, SETTINGS, (ctx) => {
      // The times were typed in the viewer's zone, known once the viewer is loaded.
      const zone = memberTimeZone(c)
      const startsAt = instantOf(one(values, 'starts_at'), zone)
      const endsAt = instantOf(one(values, 'ends_at'), zone)
      if (!startsAt || !endsAt || endsAt <= startsAt)
        throw new ApiError(400, 'VALIDATION_FAILED', 'The period must end after it starts.')
      return createBlockedPeriod(ctx, { startsAt, endsAt, reason: reason || null })
    })
  })

  portal.post(`${SETTINGS}/blocked/:id/delete`, signedIn('member'), (c) => {
    const id = idParam(c, 'blk')
    return act(c, SETTINGS, (ctx) => deleteBlockedPeriod(ctx, id))
  })

  /** A scope's reminder rules, as hours before the start ("24, 2", "0,5"); empty: no reminders. */
  portal.post(`${SETTINGS}/reminders`, signedIn('member'), async (c) => {
    const values = await formValues(c)
    const scope = one(values, 'scope')
    const minutes = minutesOf(one(values, 'hours'))
    if ((scope !== 'default' && !ID('svc').test(scope)) || !minutes)
      return seeOther(c, `${SETTINGS}?error=VALIDATION_FAILED#reminders`)
    return act(c, SETTINGS, (ctx) =>
      setReminderRules(ctx, { serviceId: scope === 'default' ? null : scope, minutesBefore: minutes }),
    )
  })

  portal.post(`${SETTINGS}/reminder-template`, signedIn('member'), async (c) => {
    const template = one(await formValues(c), 'template')
    if (template !== '' && !ID('tpl').test(template))
      return seeOther(c, `${SETTINGS}?error=VALIDATION_FAILED#reminders`)
    return act(c, SETTINGS, (ctx) => setReminderTemplate(ctx, { templateId: template || null }))
  })

  portal.get('/app/schedule/professionals/:id', signedIn('member'), async (c) => {
    const id = idParam(c, 'pro')
    const data = await portalRun(
      c,
      async (ctx) => ({
        professional: await getProfessional(ctx, id),
        plan: await getWorkingPlan(ctx, id),
        exceptions: (await listExceptions(ctx, id, {})).data,
      }),
      scheduling,
    )
    return c.render(
      <ProfessionalPlanPage
        professional={data.professional}
        days={data.plan.days}
        exceptions={data.exceptions}
        notice={DONE[c.req.query('done') ?? '']}
        error={errorFromQuery(c)}
      />,
      { title: data.professional.name },
    )
  })

  portal.post('/app/schedule/professionals/:id/plan', signedIn('member'), async (c) => {
    const id = idParam(c, 'pro')
    const back = `/app/schedule/professionals/${id}`
    const days = planOf(await formValues(c))
    if (!days) return seeOther(c, `${back}?error=VALIDATION_FAILED`)
    return act(c, back, (ctx) => setWorkingPlan(ctx, id, days))
  })

  portal.post('/app/schedule/professionals/:id/exceptions', signedIn('member'), async (c) => {
    const id = idParam(c, 'pro')
    const back = `/app/schedule/professionals/${id}`
    const values = await formValues(c)
    const date = one(values, 'date')
    const kind = one(values, 'kind')
    const start = one(values, 'start')
    const end = one(values, 'end')
    const reason = one(values, 'reason').trim()
    const validDate = /^\d{4}-\d{2}-\d{2}$/.test(date) && !Number.isNaN(Date.parse(`${date}T00:00:00Z`))
    const hours =
      kind === 'hours' && TIME.test(start) && TIME.test(end) && end > start ? { start, end } : null
    if (
      !validDate ||
      (kind !== 'off' && kind !== 'hours') ||
      (kind === 'hours' && !hours) ||
      reason.length > 500
    )
      return seeOther(c, `${back}?error=VALIDATION_FAILED`)
    return act(c, back, (ctx) => setException(ctx, id, { date, kind, hours, reason: reason || null }))
  })

  portal.post('/app/schedule/professionals/:id/exceptions/:item/delete', signedIn('member'), (c) => {
    const id = idParam(c, 'pro')
    const item = c.req.param('item')
    if (!ID('exc').test(item)) throw notFound('exception')
    return act(c, `/app/schedule/professionals/${id}`, (ctx) => deleteException(ctx, id, item))
  })
}
