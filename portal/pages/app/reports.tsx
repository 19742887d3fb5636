import type { ReportRunStatus } from '../../../db/schema/index.ts'
import {
  ActionButton,
  Alert,
  CsrfField,
  Field,
  type FieldErrors,
  type FormState,
  formValue,
  Select,
} from '../../components/forms.tsx'
import { Status } from '../../components/status.tsx'
import { zonedFormatters } from '../../components/zoned.ts'
import { type I18n, labelOf, type MessageKey, useI18n } from '../../i18n/index.ts'

/** A schedule as the pages show it (the service's columns). */
export type ScheduleView = {
  id: string
  name: string
  connectionIds: string[] | null
  platforms: string[] | null
  frequency: 'weekly' | 'monthly'
  weekday: number | null
  monthDay: number | null
  localTime: string
  timeZone: string
  period: 'previous_week' | 'previous_month' | 'last_n_days'
  periodDays: number | null
  comparison: 'previous_period' | 'previous_year'
  language: 'pt-BR' | 'en'
  recipients: string[]
  format: 'attachment' | 'link'
  holdForReview: boolean
  active: boolean
  nextRunAt: Date
}

export type RunView = {
  id: string
  scheduleId: string
  kind: 'scheduled' | 'preview'
  periodStart: string
  periodEnd: string
  status: ReportRunStatus
  holdReasons: unknown
  pages: number | null
  createdAt: Date
  sentAt: Date | null
}

/** What the signed-in member may do here (the services check it again). */
export type ReportsAbility = { manage: boolean; preview: boolean }

const BASE = '/app/reports'

/** A weekday's name in the page's language (ISO 1 = Monday; 2024-01-01 was a Monday). */
const weekdayName = (i18n: I18n, weekday: number) =>
  new Intl.DateTimeFormat(i18n.locale, { weekday: 'long', timeZone: 'UTC' }).format(
    new Date(Date.UTC(2024, 0, weekday)),
  )

/** "Every Monday at 09:00" / "Monthly on day 5 at 08:30", with the schedule's own zone. */
export function cadenceOf(
  i18n: I18n,
  s: Pick<ScheduleView, 'frequency' | 'weekday' | 'monthDay' | 'localTime'>,
) {
  return s.frequency === 'weekly'
    ? i18n.t('reports.cadence.weekly', { day: weekdayName(i18n, s.weekday ?? 1), time: s.localTime })
    : i18n.t('reports.cadence.monthly', { day: s.monthDay ?? 1, time: s.localTime })
}

export function periodOf(i18n: I18n, s: Pick<ScheduleView, 'period' | 'periodDays' | 'comparison'>) {
  const period =
    s.period === 'last_n_days'
      ? i18n.t('reports.period.last_n_days.count', { days: s.periodDays ?? 0 })
      : i18n.t(`reports.period.${s.period}`)
  return `${period} · ${i18n.t(`reports.comparison.${s.comparison}`)}`
}

/** A run's period in words: "30 Nov 2026 – 6 Dec 2026". */
const spanOf = (i18n: I18n, run: Pick<RunView, 'periodStart' | 'periodEnd'>) =>
  `${i18n.date(run.periodStart)} – ${i18n.date(run.periodEnd)}`

const reasonsOf = (run: RunView) =>
  Array.isArray(run.holdReasons) ? run.holdReasons.filter((r): r is string => typeof r === 'string') : []

/** The list page: schedules, runs waiting for review, and the latest runs. */
export function ReportsPage(props: {
  schedules: ScheduleView[]
  runs: RunView[]
  names: Record<string, string>
  can: ReportsAbility
  timeZone: string
  notice?: MessageKey
  error?: MessageKey
}) {
  const i18n = useI18n()
  const { t } = i18n
  const zoned = zonedFormatters(i18n.locale, props.timeZone)
  const held = props.runs.filter((run) => run.status === 'held')
  return (
    <>
      <h1>{t('reports.title')}</h1>
      <p class="muted">{t('reports.lead')}</p>
      {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
      {props.can.manage && (
        <p>
          <a class="button primary" href={`${BASE}/new`}>
            {t('reports.new')}
          </a>
        </p>
      )}
      {held.length > 0 && (
        <section class="card" aria-labelledby="held-title">
          <h2 id="held-title">{t('reports.held.title')}</h2>
          <p class="muted">{t('reports.held.lead')}</p>
          <RunList runs={held} names={props.names} can={props.can} back={BASE} timeZone={props.timeZone} />
        </section>
      )}
      <section aria-labelledby="schedules-title">
        <h2 id="schedules-title">{t('reports.schedules')}</h2>
        {props.schedules.length === 0 ? (
          <p class="muted">{t('reports.none')}</p>
        ) : (
          <div class="grid">
            {props.schedules.map((s) => (
              <article class="card report-schedule">
                <h3>
                  <a href={`${BASE}/schedules/${s.id}`}>{s.name}</a>{' '}
                  <Status value={s.active ? 'active' : 'paused'} />
                </h3>
                <p>
                  {cadenceOf(i18n, s)} <span class="muted small">({s.timeZone})</span>
                </p>
                <p class="muted small">{periodOf(i18n, s)}</p>
                <p class="small">
                  {t('reports.recipients.count', { count: s.recipients.length })}:{' '}
                  {s.recipients.slice(0, 3).join(', ')}
                  {s.recipients.length > 3 ? ' …' : ''}
                </p>
                <p class="small">
                  {s.active
                    ? t('reports.nextRun', { at: zoned.full(new Date(s.nextRunAt)) })
                    : t('reports.pausedNoRun')}
                </p>
              </article>
            ))}
          </div>
        )}
      </section>
      <section aria-labelledby="runs-title">
        <h2 id="runs-title">{t('reports.runs')}</h2>
        <RunList
          runs={props.runs}
          names={props.names}
          can={props.can}
          back={BASE}
          timeZone={props.timeZone}
          withSchedule
        />
      </section>
    </>
  )
}

/** Runs as a table: period, kind, status in words, when, the PDF; held ones with reasons and buttons. */
export function RunList(props: {
  runs: RunView[]
  names: Record<string, string>
  can: ReportsAbility
  back: string
  timeZone: string
  withSchedule?: boolean
}) {
  const i18n = useI18n()
  const { t } = i18n
  const zoned = zonedFormatters(i18n.locale, props.timeZone)
  if (props.runs.length === 0) return <p class="muted">{t('reports.runs.none')}</p>
  return (
    <div class="table-wrap">
      <table class="report-runs">
        <thead>
          <tr>
            {props.withSchedule && <th scope="col">{t('reports.field.name')}</th>}
            <th scope="col">{t('reports.run.period')}</th>
            <th scope="col">{t('reports.run.status')}</th>
            <th scope="col">{t('reports.run.when')}</th>
            <th scope="col">{t('connections.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {props.runs.map((run) => (
            <tr>
              {props.withSchedule && <td>{props.names[run.scheduleId] ?? '—'}</td>}
              <td>
                {spanOf(i18n, run)}
                {run.kind === 'preview' && <span class="muted small"> · {t('reports.run.preview')}</span>}
              </td>
              <td>
                <Status value={run.status} />
                {run.status === 'held' && reasonsOf(run).length > 0 && (
                  <ul class="small reasons">
                    {reasonsOf(run).map((reason) => (
                      <li>{reason}</li>
                    ))}
                  </ul>
                )}
              </td>
              <td class="small">{zoned.full(new Date(run.sentAt ?? run.createdAt))}</td>
              <td>
                <div class="actions">
                  {run.pages !== null && (
                    <a href={`${BASE}/runs/${run.id}/file`} download>
                      {t('reports.run.download', { pages: run.pages })}
                    </a>
                  )}
                  {run.status === 'held' && props.can.manage && (
                    <>
                      <ActionButton
                        action={`${BASE}/runs/${run.id}/release`}
                        target="main"
                        label={t('reports.run.release')}
                        fields={{ back: props.back }}
                        variant="secondary"
                      />
                      <ActionButton
                        action={`${BASE}/runs/${run.id}/skip`}
                        target="main"
                        label={t('reports.run.skip')}
                        fields={{ back: props.back }}
                        variant="danger"
                        confirm={t('reports.run.skipConfirm')}
                      />
                    </>
                  )}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** Connections a schedule may cover: every one when none is ticked. */
export type ConnectionChoice = { id: string; name: string; platform: string }

/**
 * A schedule's form, new or edited: the same fields as the API. Weekday and day of month are both
 * there (no script needed); only the one the frequency uses is kept.
 */
export function ScheduleForm(props: {
  action: string
  schedule?: ScheduleView
  connections: ConnectionChoice[]
  timeZone: string
  state?: FormState
  email: string
}) {
  const i18n = useI18n()
  const { t } = i18n
  const s = props.schedule
  const state = props.state
  const errors: FieldErrors | undefined = state?.errors
  const value = (name: string, fallback: string) =>
    state?.values ? (formValue(state, name) ?? '') : fallback
  const ticked = state?.values
    ? ([] as string[]).concat(state.values.connection_ids ?? [])
    : (s?.connectionIds ?? [])
  const option = <K extends string>(prefix: string, values: readonly K[]) =>
    values.map((v) => ({ value: v, label: t(`${prefix}.${v}` as MessageKey) }))
  return (
    <form method="post" action={props.action} class="card report-form" aria-label={t('reports.form')}>
      <CsrfField />
      {state?.message && <Alert kind="error">{t(state.message)}</Alert>}
      <Field
        name="name"
        label="reports.field.name"
        value={value('name', s?.name ?? '')}
        errors={errors}
        required
      />
      <div class="row">
        <Select
          name="frequency"
          label="reports.field.frequency"
          value={value('frequency', s?.frequency ?? 'weekly')}
          options={option('reports.frequency', ['weekly', 'monthly'] as const)}
          errors={errors}
        />
        <Select
          name="weekday"
          label="reports.field.weekday"
          value={value('weekday', String(s?.weekday ?? 1))}
          options={[1, 2, 3, 4, 5, 6, 7].map((d) => ({ value: String(d), label: weekdayName(i18n, d) }))}
          errors={errors}
        />
        <Field
          name="month_day"
          type="number"
          min={1}
          max={28}
          label="reports.field.monthDay"
          value={value('month_day', String(s?.monthDay ?? 1))}
          errors={errors}
        />
        <Field
          name="local_time"
          type="time"
          label="reports.field.time"
          value={value('local_time', s?.localTime ?? '09:00')}
          errors={errors}
          required
        />
        <Field
          name="time_zone"
          label="reports.field.timeZone"
          value={value('time_zone', s?.timeZone ?? props.timeZone)}
          errors={errors}
          required
        />
      </div>
      <p class="hint">{t('reports.field.whenHint')}</p>
      <div class="row">
        <Select
          name="period"
          label="reports.field.period"
          value={value('period', s?.period ?? 'previous_week')}
          options={option('reports.period', ['previous_week', 'previous_month', 'last_n_days'] as const)}
          errors={errors}
        />
        <Field
          name="period_days"
          type="number"
          min={1}
          max={366}
          label="reports.field.periodDays"
          value={value('period_days', String(s?.periodDays ?? 30))}
          errors={errors}
        />
        <Select
          name="comparison"
          label="reports.field.comparison"
          value={value('comparison', s?.comparison ?? 'previous_period')}
          options={option('reports.comparison', ['previous_period', 'previous_year'] as const)}
          errors={errors}
        />
        <Select
          name="language"
          label="reports.field.language"
          value={value('language', s?.language ?? i18n.locale)}
          options={[
            { value: 'pt-BR', label: 'Português (Brasil)' },
            { value: 'en', label: 'English' },
          ]}
          errors={errors}
        />
        <Select
          name="format"
          label="reports.field.format"
          value={value('format', s?.format ?? 'attachment')}
          options={option('reports.format', ['attachment', 'link'] as const)}
          errors={errors}
        />
      </div>
      <div class={errors?.recipients ? 'field invalid' : 'field'}>
        <label for="f-recipients">{t('reports.field.recipients')}</label>
        <textarea
          id="f-recipients"
          name="recipients"
          rows={3}
          required
          aria-describedby={errors?.recipients ? 'f-recipients-hint f-recipients-error' : 'f-recipients-hint'}
          aria-invalid={errors?.recipients ? 'true' : undefined}
        >
          {value('recipients', s?.recipients.join('\n') ?? '')}
        </textarea>
        <p class="hint" id="f-recipients-hint">
          {t('reports.field.recipientsHint')}
        </p>
        {errors?.recipients && (
          <p class="error" id="f-recipients-error">
            {t(errors.recipients)}
          </p>
        )}
      </div>
      {props.connections.length > 0 && (
        <fieldset class="field">
          <legend class="label">{t('reports.field.connections')}</legend>
          <p class="hint">{t('reports.field.connectionsHint')}</p>
          {props.connections.map((c) => (
            <label class="check">
              <input type="checkbox" name="connection_ids" value={c.id} checked={ticked.includes(c.id)} />{' '}
              {c.name} <span class="muted small">({labelOf(t, 'platform', c.platform)})</span>
            </label>
          ))}
          {s?.platforms && (
            <p class="hint">
              {t('reports.field.platformsKept', {
                platforms: s.platforms.map((p) => labelOf(t, 'platform', p)).join(', '),
              })}
            </p>
          )}
        </fieldset>
      )}
      <label class="check">
        <input
          type="checkbox"
          name="hold_for_review"
          value="yes"
          checked={value('hold_for_review', s?.holdForReview ? 'yes' : '') === 'yes'}
        />{' '}
        {t('reports.field.hold')}
      </label>
      <p class="hint">{t('reports.field.holdHint')}</p>
      <div class="actions">
        <button type="submit" class="primary">
          {s ? t('reports.save') : t('reports.create')}
        </button>
        <a href={s ? `${BASE}/schedules/${s.id}` : BASE}>{t('reports.cancel')}</a>
      </div>
    </form>
  )
}

export function NewSchedulePage(props: Parameters<typeof ScheduleForm>[0]) {
  const { t } = useI18n()
  return (
    <>
      <p>
        <a href={BASE}>← {t('reports.title')}</a>
      </p>
      <h1>{t('reports.new')}</h1>
      <ScheduleForm {...props} />
    </>
  )
}

/** One schedule: what it does, its actions (pause, test, delete), its runs, and its form when allowed. */
export function SchedulePage(props: {
  schedule: ScheduleView
  runs: RunView[]
  connections: ConnectionChoice[]
  can: ReportsAbility
  timeZone: string
  email: string
  state?: FormState
  notice?: MessageKey
  error?: MessageKey
}) {
  const i18n = useI18n()
  const { t } = i18n
  const s = props.schedule
  const zoned = zonedFormatters(i18n.locale, props.timeZone)
  const here = `${BASE}/schedules/${s.id}`
  return (
    <>
      <p>
        <a href={BASE}>← {t('reports.title')}</a>
      </p>
      <h1>
        {s.name} <Status value={s.active ? 'active' : 'paused'} />
      </h1>
      {props.notice && <Alert kind="success">{t(props.notice, { email: props.email })}</Alert>}
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
      <section class="card" aria-label={t('reports.summary')}>
        <p>
          {cadenceOf(i18n, s)} <span class="muted small">({s.timeZone})</span>
        </p>
        <p class="muted">{periodOf(i18n, s)}</p>
        <p>
          {s.active
            ? t('reports.nextRun', { at: zoned.full(new Date(s.nextRunAt)) })
            : t('reports.pausedNoRun')}
        </p>
        <p class="small">
          {t('reports.recipients.count', { count: s.recipients.length })}: {s.recipients.join(', ')}
        </p>
        <div class="actions">
          {props.can.preview && (
            <ActionButton
              action={`${here}/preview`}
              target="main"
              label={t('reports.preview')}
              describedBy="preview-hint"
            />
          )}
          {props.can.manage && (
            <>
              <ActionButton
                action={`${here}/active`}
                target="main"
                label={s.active ? t('reports.pause') : t('reports.resume')}
                fields={{ active: s.active ? 'no' : 'yes' }}
              />
              <a class="button danger" href={`${here}/delete`}>
                {t('reports.delete')}
              </a>
            </>
          )}
        </div>
        {props.can.preview && (
          <p class="hint" id="preview-hint">
            {t('reports.previewHint', { email: props.email })}
          </p>
        )}
      </section>
      <section aria-labelledby="runs-title">
        <h2 id="runs-title">{t('reports.runs')}</h2>
        <RunList runs={props.runs} names={{}} can={props.can} back={here} timeZone={props.timeZone} />
      </section>
      {props.can.manage && (
        <section aria-labelledby="edit-title">
          <h2 id="edit-title">{t('reports.edit')}</h2>
          <ScheduleForm
            action={here}
            schedule={s}
            connections={props.connections}
            timeZone={props.timeZone}
            state={props.state}
            email={props.email}
          />
        </section>
      )}
    </>
  )
}

/** Deleting is deliberate: a page of its own saying what goes with the schedule. */
export function DeleteSchedulePage(props: { schedule: ScheduleView; runs: number }) {
  const { t } = useI18n()
  const here = `${BASE}/schedules/${props.schedule.id}`
  return (
    <section class="card narrow">
      <h1>{t('reports.deleteTitle', { name: props.schedule.name })}</h1>
      <p>{t('reports.deleteBody', { runs: props.runs })}</p>
      <p class="muted">{t('reports.deletePauseInstead')}</p>
      <form method="post" action={`${here}/delete`} class="actions">
        <CsrfField />
        <button type="submit" class="danger">
          {t('reports.deleteConfirm')}
        </button>
        <a href={here}>{t('reports.cancel')}</a>
      </form>
    </section>
  )
}
