import type { HoursSettings } from '../../../worker/services/attendance/hours.ts'
import { timeOf } from '../../../worker/services/scheduling/zones.ts'
import { Alert, CsrfField, Select } from '../../components/forms.tsx'
import { zonedFormatters } from '../../components/zoned.ts'
import { type MessageKey, useI18n } from '../../i18n/index.ts'

/**
 * `/app/inbox/settings`, for owners and admins: the away switch, business hours and away message,
 * dates that differ from the week, and the teams that share the numbers' conversations. Plain
 * forms over the API's verbs (worker/routes/portal/app/inbox-settings.tsx).
 */

export type SettingsTeam = { id: string; name: string; roundRobin: boolean; memberIds: string[] }
export type SettingsNumber = {
  id: string
  displayNumber: string
  label: string | null
  teamId: string | null
}
export type SettingsMember = { id: string; name: string }

const WEEK = [1, 2, 3, 4, 5, 6, 0] as const
/** Zones offered in the picker; the stored one is added when it is not among them. */
const ZONES = [
  'America/Sao_Paulo',
  'America/Manaus',
  'America/Belem',
  'America/Fortaleza',
  'America/Recife',
  'America/Cuiaba',
  'America/Rio_Branco',
  'America/Noronha',
  'Europe/Lisbon',
  'UTC',
]

function Section(props: { title: MessageKey; hint?: MessageKey; children: unknown }) {
  const { t } = useI18n()
  return (
    <section class="card">
      <h2>{t(props.title)}</h2>
      {props.hint && <p class="muted small">{t(props.hint)}</p>}
      {props.children}
    </section>
  )
}

function AwaySwitch(props: { settings: HoursSettings & { openNow: boolean }; timeZone: string }) {
  const { t, locale } = useI18n()
  const zoned = zonedFormatters(locale, props.timeZone)
  const on = props.settings.awayNow
  return (
    <Section title="inbox.settings.away" hint="inbox.settings.awayHint">
      <p id="away-state">
        {on && props.settings.awaySince
          ? t('inbox.settings.awayOnSince', { at: zoned.full(props.settings.awaySince) })
          : t(props.settings.openNow ? 'inbox.settings.openNow' : 'inbox.settings.closedNow')}
      </p>
      <form method="post" action="/app/inbox/settings/away" class="inline">
        <CsrfField />
        <input type="hidden" name="on" value={on ? '0' : '1'} />
        <button type="submit" class={on ? '' : 'secondary'}>
          {t(on ? 'inbox.settings.awayOff' : 'inbox.settings.awayOn')}
        </button>
      </form>
    </Section>
  )
}

function HoursForm(props: { settings: HoursSettings }) {
  const { t } = useI18n()
  const zones = ZONES.includes(props.settings.timeZone) ? ZONES : [props.settings.timeZone, ...ZONES]
  return (
    <Section title="inbox.settings.hours" hint="inbox.settings.hoursHint">
      <form method="post" action="/app/inbox/settings/hours" id="hours-form">
        <CsrfField />
        <Select
          name="time_zone"
          label="inbox.settings.timeZone"
          options={zones.map((zone) => ({ value: zone, label: zone.replace('_', ' ') }))}
          value={props.settings.timeZone}
        />
        <div class="table-wrap">
          <table class="hours">
            <thead>
              <tr>
                <th scope="col">{t('inbox.settings.day')}</th>
                <th scope="col">{t('inbox.settings.opens')}</th>
                <th scope="col">{t('inbox.settings.closes')}</th>
              </tr>
            </thead>
            <tbody>
              {WEEK.map((weekday) => {
                const day = props.settings.weekly.find((w) => w.weekday === weekday)
                const name = t(`schedule.weekday.${weekday}` as MessageKey)
                return (
                  <tr>
                    <th scope="row">{name}</th>
                    <td>
                      <input
                        type="time"
                        name={`start_${weekday}`}
                        value={day ? timeOf(day.start) : ''}
                        aria-label={`${name}: ${t('inbox.settings.opens')}`}
                      />
                    </td>
                    <td>
                      <input
                        type="time"
                        name={`end_${weekday}`}
                        value={day ? timeOf(day.end) : ''}
                        aria-label={`${name}: ${t('inbox.settings.closes')}`}
                      />
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
        <p class="muted small">{t('inbox.settings.closedDayHint')}</p>
        <div class="field">
          <label for="f-away_message">{t('inbox.settings.awayMessage')}</label>
          <textarea id="f-away_message" name="away_message" rows={3} maxlength={1000}>
            {props.settings.awayMessage ?? ''}
          </textarea>
          <p class="muted small">{t('inbox.settings.awayMessageHint')}</p>
        </div>
        <div class="actions">
          <button type="submit">{t('inbox.settings.save')}</button>
        </div>
      </form>
    </Section>
  )
}

function Exceptions(props: { settings: HoursSettings }) {
  const { t, locale } = useI18n()
  const zoned = zonedFormatters(locale, props.settings.timeZone)
  return (
    <Section title="inbox.settings.exceptions" hint="inbox.settings.exceptionsHint">
      {props.settings.exceptions.length === 0 ? (
        <p class="muted">{t('inbox.settings.noExceptions')}</p>
      ) : (
        <ul id="exceptions">
          {props.settings.exceptions.map((e) => (
            <li>
              <strong>{zoned.longDay(e.date)}</strong>{' '}
              {e.start === undefined || e.end === undefined
                ? t('inbox.settings.closedAllDay')
                : t('inbox.settings.hoursRange', { start: timeOf(e.start), end: timeOf(e.end) })}{' '}
              <form method="post" action="/app/inbox/settings/exceptions/delete" class="inline">
                <CsrfField />
                <input type="hidden" name="date" value={e.date} />
                <button type="submit" class="secondary small">
                  {t('inbox.settings.remove')}
                </button>
              </form>
            </li>
          ))}
        </ul>
      )}
      <form method="post" action="/app/inbox/settings/exceptions" class="row">
        <CsrfField />
        <div class="field">
          <label for="f-exception-date">{t('inbox.settings.date')}</label>
          <input id="f-exception-date" type="date" name="date" required />
        </div>
        <div class="field">
          <label for="f-exception-start">{t('inbox.settings.opens')}</label>
          <input id="f-exception-start" type="time" name="start" />
        </div>
        <div class="field">
          <label for="f-exception-end">{t('inbox.settings.closes')}</label>
          <input id="f-exception-end" type="time" name="end" />
        </div>
        <div class="actions">
          <button type="submit" class="secondary">
            {t('inbox.settings.addException')}
          </button>
        </div>
      </form>
    </Section>
  )
}

function MemberChecks(props: { members: SettingsMember[]; checked: string[]; prefix: string }) {
  const { t } = useI18n()
  if (props.members.length === 0) return <p class="muted small">{t('inbox.settings.noMembers')}</p>
  return (
    <fieldset>
      <legend>{t('inbox.settings.members')}</legend>
      {props.members.map((member) => (
        <label>
          <input
            type="checkbox"
            name="member_ids"
            value={member.id}
            checked={props.checked.includes(member.id)}
            id={`${props.prefix}-${member.id}`}
          />{' '}
          {member.name}
        </label>
      ))}
    </fieldset>
  )
}

function Teams(props: { teams: SettingsTeam[]; numbers: SettingsNumber[]; members: SettingsMember[] }) {
  const { t } = useI18n()
  const teamOptions = [
    { value: '', label: t('inbox.settings.noTeam') },
    ...props.teams.map((team) => ({ value: team.id, label: team.name })),
  ]
  return (
    <Section title="inbox.settings.teams" hint="inbox.settings.teamsHint">
      {props.teams.map((team, index) => (
        <form
          method="post"
          action={`/app/inbox/settings/teams/${team.id}`}
          class="team"
          data-team={team.name}
        >
          <CsrfField />
          <div class="field">
            <label for={`f-team-name-${index}`}>{t('inbox.settings.teamName')}</label>
            <input id={`f-team-name-${index}`} name="name" value={team.name} required maxlength={80} />
          </div>
          <MemberChecks members={props.members} checked={team.memberIds} prefix={`team-${index}`} />
          <label>
            <input type="checkbox" name="round_robin" value="1" checked={team.roundRobin} />{' '}
            {t('inbox.settings.roundRobin')}
          </label>
          <div class="actions">
            <button type="submit" class="secondary">
              {t('inbox.settings.saveTeam')}
            </button>
          </div>
        </form>
      ))}
      <h3>{t('inbox.settings.newTeam')}</h3>
      <form method="post" action="/app/inbox/settings/teams" id="new-team">
        <CsrfField />
        <div class="field">
          <label for="f-new-team">{t('inbox.settings.teamName')}</label>
          <input id="f-new-team" name="name" required maxlength={80} />
        </div>
        <MemberChecks members={props.members} checked={[]} prefix="new" />
        <div class="actions">
          <button type="submit" class="secondary">
            {t('inbox.settings.createTeam')}
          </button>
        </div>
      </form>
      {props.numbers.length > 0 && <h3>{t('inbox.settings.numbers')}</h3>}
      {props.numbers.map((number) => (
        <form method="post" action={`/app/inbox/settings/numbers/${number.id}/team`} class="row">
          <CsrfField />
          <Select
            name="team_id"
            label="inbox.settings.numberTeam"
            options={teamOptions}
            value={number.teamId ?? ''}
          />
          <p class="small">
            {number.label ? `${number.label} · ${number.displayNumber}` : number.displayNumber}
          </p>
          <div class="actions">
            <button type="submit" class="secondary">
              {t('inbox.settings.save')}
            </button>
          </div>
        </form>
      ))}
    </Section>
  )
}

export function InboxSettingsPage(props: {
  settings: HoursSettings & { openNow: boolean }
  teams: SettingsTeam[]
  numbers: SettingsNumber[]
  members: SettingsMember[]
  timeZone: string
  notice?: MessageKey
  error?: MessageKey
}) {
  const { t } = useI18n()
  return (
    <div class="inbox-settings">
      <header class="inbox-head">
        <h1>{t('inbox.settings.title')}</h1>
        <a href="/app/inbox" class="small">
          {t('inbox.reports.back')}
        </a>
      </header>
      {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
      <AwaySwitch settings={props.settings} timeZone={props.timeZone} />
      <HoursForm settings={props.settings} />
      <Exceptions settings={props.settings} />
      <Teams teams={props.teams} numbers={props.numbers} members={props.members} />
    </div>
  )
}
