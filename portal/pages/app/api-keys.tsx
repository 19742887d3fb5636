import type { FormState } from '../../components/forms.tsx'
import { ActionButton, Alert, Field, HxForm, Select } from '../../components/forms.tsx'
import { Status, When } from '../../components/status.tsx'
import { labelOf, type MessageKey, useI18n } from '../../i18n/index.ts'

export type KeyView = {
  id: string
  name: string
  role: string
  prefix: string
  lastFour: string
  createdAt: Date | string
  lastUsedAt: Date | string | null
  revokedAt: Date | string | null
}

/** API keys: create (the key is shown this once), list, revoke. */
export function ApiKeysSection(props: {
  keys: KeyView[]
  created?: { name: string; key: string }
  notice?: MessageKey
  form?: FormState
}) {
  const { t } = useI18n()
  const errors = props.form?.errors
  return (
    <section id="api-keys" aria-labelledby="keys-title">
      <h2 id="keys-title" class="sr-only">
        {t('keys.title')}
      </h2>
      {props.created && (
        <div class="alert success" role="status">
          <p>{t('keys.createdOnce', { name: props.created.name })}</p>
          <code class="secret" data-testid="new-api-key">
            {props.created.key}
          </code>
        </div>
      )}
      {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
      <div class="card">
        <h3>{t('keys.create')}</h3>
        {props.form?.message && <Alert kind="error">{t(props.form.message)}</Alert>}
        <HxForm action="/app/api-keys" target="#api-keys" class="row" label={t('keys.create')}>
          <Field name="name" label="keys.name" errors={errors} required />
          <Select
            name="role"
            label="team.role"
            value="viewer"
            errors={errors}
            options={(['viewer', 'analyst', 'admin'] as const).map((role) => ({
              value: role,
              label: t(`role.${role}`),
            }))}
          />
          <button type="submit" class="primary">
            {t('keys.createSubmit')}
          </button>
        </HxForm>
      </div>
      {props.keys.length === 0 ? (
        <p class="muted">{t('keys.none')}</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('keys.name')}</th>
                <th scope="col">{t('keys.key')}</th>
                <th scope="col">{t('team.role')}</th>
                <th scope="col">{t('keys.lastUsed')}</th>
                <th scope="col">{t('connections.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {props.keys.map((key) => (
                <tr>
                  <td>{key.name}</td>
                  <td>
                    <code>
                      {key.prefix}…{key.lastFour}
                    </code>
                  </td>
                  <td>{labelOf(t, 'role', key.role)}</td>
                  <td>
                    <When at={key.lastUsedAt} />
                  </td>
                  <td>
                    {key.revokedAt ? (
                      <Status value="revoked" />
                    ) : (
                      <ActionButton
                        action={`/app/api-keys/${key.id}/revoke`}
                        target="#api-keys"
                        label={t('keys.revoke')}
                        variant="danger"
                        confirm={t('keys.revokeConfirm', { name: key.name })}
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

export function ApiKeysPage(props: Parameters<typeof ApiKeysSection>[0]) {
  const { t } = useI18n()
  return (
    <>
      <h1>{t('keys.title')}</h1>
      <p class="muted">{t('keys.lead')}</p>
      <ApiKeysSection {...props} />
    </>
  )
}
