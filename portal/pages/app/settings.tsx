import type { Child } from 'hono/jsx'
import type { FormState } from '../../components/forms.tsx'
import { ActionButton, Alert, Field, HxForm } from '../../components/forms.tsx'
import { When } from '../../components/status.tsx'
import { TimeZoneSelect, zoneLabel } from '../../components/time-zone.tsx'
import { type MessageKey, useI18n } from '../../i18n/index.ts'

export type SettingsView = {
  manage: { connections: boolean; calendar: boolean }
  xCollectionEnabled: boolean
  /** The business's IANA zone. */
  timeZone: string
  /** Null when the plan has no metrics module. */
  metaWebhook: { configured: boolean; callbackUrl: string; updatedAt: Date | string | null } | null
  /** Null when the plan has no calendar module. */
  alerts: { chatId: string | null; botTokenSet: boolean; updatedAt: Date | string | null } | null
}

export type SettingsForms = { meta?: FormState; alerts?: FormState }

/**
 * Settings that were API-only: X collection, the Meta webhook's secrets and the calendar's
 * Telegram alerts. Each form posts to the same service verb as its API route; secrets are
 * write-only (the page says whether one is set, never shows it).
 */
export function SettingsPage(props: SettingsView & { forms?: SettingsForms; notice?: MessageKey }) {
  const { t } = useI18n()
  return (
    <section id="settings" aria-labelledby="settings-title">
      <h1 id="settings-title">{t('settings.title')}</h1>
      {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
      <div class="card">
        <h2>{t('settings.zone.title')}</h2>
        <p class="muted">{t('settings.zone.lead')}</p>
        {props.manage.connections ? (
          <SettingsForm action="/app/settings/time-zone" label={t('settings.zone.title')}>
            <TimeZoneSelect name="time_zone" label="account.timeZone" value={props.timeZone} />
          </SettingsForm>
        ) : (
          <p>{t('settings.zone.current', { zone: zoneLabel(props.timeZone) })}</p>
        )}
      </div>
      <div class="card">
        <h2>{t('settings.x.title')}</h2>
        <p class="muted">{t('settings.x.lead')}</p>
        <p>
          <strong>{t(props.xCollectionEnabled ? 'settings.x.on' : 'settings.x.off')}</strong>
        </p>
        {props.manage.connections && (
          <ActionButton
            action="/app/settings/x"
            target="#settings"
            fields={{ enabled: props.xCollectionEnabled ? 'false' : 'true' }}
            label={t(props.xCollectionEnabled ? 'settings.x.turnOff' : 'settings.x.turnOn')}
            variant={props.xCollectionEnabled ? 'danger' : 'secondary'}
            confirm={props.xCollectionEnabled ? t('settings.x.confirmOff') : undefined}
          />
        )}
      </div>
      {props.metaWebhook && (
        <MetaWebhook {...props.metaWebhook} manage={props.manage.connections} form={props.forms?.meta} />
      )}
      {props.alerts && <Alerts {...props.alerts} manage={props.manage.calendar} form={props.forms?.alerts} />}
    </section>
  )
}

function MetaWebhook(
  props: NonNullable<SettingsView['metaWebhook']> & { manage: boolean; form?: FormState },
) {
  const { t } = useI18n()
  return (
    <div class="card">
      <h2>{t('settings.meta.title')}</h2>
      <p class="muted">{t('settings.meta.lead')}</p>
      <div class="field">
        <label for="meta-callback">{t('settings.meta.callbackUrl')}</label>
        <input id="meta-callback" type="url" value={props.callbackUrl} readonly />
      </div>
      <p>
        {props.configured ? (
          <>
            {t('settings.meta.configured')} <When at={props.updatedAt} />
          </>
        ) : (
          t('settings.meta.notConfigured')
        )}
      </p>
      {props.manage && (
        <SettingsForm action="/app/settings/meta" label={t('settings.meta.title')} form={props.form}>
          <Field
            name="app_secret"
            label="settings.meta.appSecret"
            type="password"
            autocomplete="off"
            hint="settings.meta.appSecretHint"
            errors={props.form?.errors}
            required
          />
          <Field
            name="verify_token"
            label="settings.meta.verifyToken"
            type="password"
            autocomplete="off"
            hint="settings.meta.verifyTokenHint"
            errors={props.form?.errors}
            required
          />
        </SettingsForm>
      )}
    </div>
  )
}

function Alerts(props: NonNullable<SettingsView['alerts']> & { manage: boolean; form?: FormState }) {
  const { t } = useI18n()
  return (
    <div class="card">
      <h2>{t('settings.alerts.title')}</h2>
      <p class="muted">{t('settings.alerts.lead')}</p>
      <p>
        {props.botTokenSet && props.chatId ? (
          <>
            {t('settings.alerts.configured', { chat: props.chatId })} <When at={props.updatedAt} />
          </>
        ) : (
          t('settings.alerts.notConfigured')
        )}
      </p>
      {props.manage && (
        <SettingsForm action="/app/settings/alerts" label={t('settings.alerts.title')} form={props.form}>
          <Field
            name="telegram_bot_token"
            label="settings.alerts.botToken"
            type="password"
            autocomplete="off"
            hint="settings.alerts.botTokenHint"
            errors={props.form?.errors}
            required
          />
          <Field
            name="telegram_chat_id"
            label="settings.alerts.chatId"
            value={(props.form?.values?.telegram_chat_id as string | undefined) ?? props.chatId}
            hint="settings.alerts.chatIdHint"
            errors={props.form?.errors}
            required
          />
        </SettingsForm>
      )}
    </div>
  )
}

/** A section's form: its refusal above it, its fields, one save button; the answer swaps the page. */
function SettingsForm(props: { action: string; label: string; form?: FormState; children: Child }) {
  const { t } = useI18n()
  return (
    <>
      {props.form?.message && <Alert kind="error">{t(props.form.message)}</Alert>}
      <HxForm action={props.action} target="#settings" label={props.label}>
        {props.children}
        <button type="submit" class="primary">
          {t('settings.save')}
        </button>
      </HxForm>
    </>
  )
}
