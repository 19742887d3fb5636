import { InboxSettingsPage } from '../../../../portal/pages/app/inbox-settings.tsx'
import { authorize } from '../../../auth/permissions.ts'
import { invalidField, notFound } from '../../../errors.ts'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { memberTimeZone } from '../../../middleware/portal-locale.ts'
import { getHours, setHours } from '../../../services/attendance/hours.ts'
import { assignableMembers } from '../../../services/attendance/inbox-view.ts'
import { listNumbers } from '../../../services/attendance/numbers.ts'
import { createTeam, listTeams, setNumberTeam, updateTeam } from '../../../services/attendance/teams.ts'
import type { ServiceContext } from '../../../services/context.ts'
import { hoursBody, hoursInputOf, shown } from '../../attendance/hours.ts'
import { type FormValues, formValues, many, one } from '../forms.ts'
import { changeThenBack, errorFromQuery, type PortalContext, portalRun, seeOther, signedIn } from '../run.ts'

const SETTINGS = '/app/inbox/settings'
const attendance = { module: 'attendance' } as const
type HoursBody = ReturnType<typeof shown>

/** A manager's change, then back to the settings with what happened (`changeThenBack`). */
const change = (c: PortalContext, work: (ctx: ServiceContext) => Promise<unknown>) =>
  changeThenBack(c, SETTINGS, 'saved', work, attendance)

/**
 * Changes the stored hours through the same body the API validates: `edit` gets the current
 * settings as the API shows them and answers the new body; one invalid field refuses it all.
 */
async function changeHours(c: PortalContext, edit: (current: HoursBody, values: FormValues) => unknown) {
  const values = await formValues(c)
  return change(c, async (ctx) => {
    const current = shown(await getHours(ctx))
    const parsed = hoursBody.safeParse(edit(current, values))
    if (!parsed.success) throw invalidField('form', parsed.error.issues[0]?.message ?? 'invalid')
    return setHours(ctx, hoursInputOf(parsed.data))
  })
}

/** The fields of a body the API takes, from the current settings (`open_now` and `away_since` are read-only). */
const bodyOf = ({ open_now: _o, away_since: _s, ...body }: HoursBody) => body

const ID = (prefix: string) => new RegExp(`^${prefix}_[0-9a-z]{20}$`)
const idOf = (c: PortalContext, prefix: string) => {
  const id = c.req.param('id') ?? ''
  if (!ID(prefix).test(id)) throw notFound(prefix)
  return id
}

export function registerPortalInboxSettings(portal: PortalApp) {
  portal.get(SETTINGS, signedIn('member'), async (c) => {
    const data = await portalRun(
      c,
      async (ctx) => {
        authorize(ctx.principal, 'attendance.manage')
        return {
          settings: await getHours(ctx),
          teams: (await listTeams(ctx)).data,
          numbers: (await listNumbers(ctx)).data,
          members: await assignableMembers(ctx),
        }
      },
      attendance,
    )
    const done = c.req.query('done') === 'saved' ? 'inbox.settings.saved' : undefined
    return c.render(
      <InboxSettingsPage {...data} timeZone={memberTimeZone(c)} notice={done} error={errorFromQuery(c)} />,
      { title: c.var.i18n.t('inbox.settings.title') },
    )
  })

  portal.post(`${SETTINGS}/away`, signedIn('member'), (c) =>
    changeHours(c, (current, values) => ({ ...bodyOf(current), away_now: one(values, 'on') === '1' })),
  )

  // One interval per day from the form: a day with neither time is closed.
  portal.post(`${SETTINGS}/hours`, signedIn('member'), (c) =>
    changeHours(c, (current, values) => {
      const weekly = [0, 1, 2, 3, 4, 5, 6].flatMap((weekday) => {
        const [start, end] = [one(values, `start_${weekday}`), one(values, `end_${weekday}`)]
        return start || end ? [{ weekday, start, end }] : []
      })
      const message = one(values, 'away_message').trim()
      return {
        ...bodyOf(current),
        time_zone: one(values, 'time_zone'),
        weekly,
        away_message: message === '' ? null : message,
      }
    }),
  )

  portal.post(`${SETTINGS}/exceptions`, signedIn('member'), (c) =>
    changeHours(c, (current, values) => {
      const date = one(values, 'date')
      const [start, end] = [one(values, 'start'), one(values, 'end')]
      const added = start || end ? { date, start, end } : { date }
      return { ...bodyOf(current), exceptions: [...current.exceptions.filter((e) => e.date !== date), added] }
    }),
  )

  portal.post(`${SETTINGS}/exceptions/delete`, signedIn('member'), (c) =>
    changeHours(c, (current, values) => ({
      ...bodyOf(current),
      exceptions: current.exceptions.filter((e) => e.date !== one(values, 'date')),
    })),
  )

  portal.post(`${SETTINGS}/teams`, signedIn('member'), async (c) => {
    const values = await formValues(c)
    const name = one(values, 'name').trim()
    const memberIds = many(values, 'member_ids')
    if (!name || name.length > 80 || memberIds.some((id) => !ID('usr').test(id)))
      return seeOther(c, `${SETTINGS}?error=VALIDATION_FAILED`)
    return change(c, (ctx) => createTeam(ctx, { name, memberIds }))
  })

  portal.post(`${SETTINGS}/teams/:id`, signedIn('member'), async (c) => {
    const id = idOf(c, 'atm')
    const values = await formValues(c)
    const name = one(values, 'name').trim()
    const memberIds = many(values, 'member_ids')
    if (!name || name.length > 80 || memberIds.some((member) => !ID('usr').test(member)))
      return seeOther(c, `${SETTINGS}?error=VALIDATION_FAILED`)
    const roundRobin = one(values, 'round_robin') === '1'
    return change(c, (ctx) => updateTeam(ctx, id, { name, memberIds, roundRobin }))
  })

  portal.post(`${SETTINGS}/numbers/:id/team`, signedIn('member'), async (c) => {
    const id = idOf(c, 'anb')
    const teamId = one(await formValues(c), 'team_id')
    if (teamId !== '' && !ID('atm').test(teamId)) return seeOther(c, `${SETTINGS}?error=VALIDATION_FAILED`)
    return change(c, (ctx) => setNumberTeam(ctx, id, teamId === '' ? null : teamId))
  })
}
