import { Field, HxForm, Pager } from '../../components/forms.tsx'
import { When } from '../../components/status.tsx'
import { useI18n } from '../../i18n/index.ts'

export type AuditRow = {
  id: string
  createdAt: Date | string
  tenantId: string | null
  actorType: string
  actorId: string | null
  action: string
  targetType: string | null
  targetId: string | null
  ip: string | null
  data: unknown
}

/** The audit log across tenants, newest first, with filters that travel in the URL. */
export function AuditPage(props: {
  rows: AuditRow[]
  filters: Record<string, string>
  nextHref: string | null
}) {
  const { t } = useI18n()
  const f = props.filters
  return (
    <>
      <h1>{t('nav.audit')}</h1>
      <HxForm
        action="/admin/audit"
        method="get"
        target="#audit"
        class="card row"
        pushUrl
        label={t('filter.label')}
      >
        <Field name="tenant_id" label="audit.tenant" value={f.tenant_id} placeholder="ten_…" />
        <Field name="action" label="audit.action" value={f.action} placeholder="license." />
        <Field name="actor_id" label="audit.actor" value={f.actor_id} placeholder="opr_… / usr_…" />
        <Field name="from" type="date" label="period.from" value={f.from} />
        <Field name="to" type="date" label="period.to" value={f.to} />
        <button type="submit" class="primary">
          {t('filter.apply')}
        </button>
      </HxForm>
      <section id="audit" aria-label={t('nav.audit')}>
        {props.rows.length === 0 ? (
          <p class="muted">{t('list.empty')}</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('audit.when')}</th>
                  <th scope="col">{t('audit.action')}</th>
                  <th scope="col">{t('audit.actor')}</th>
                  <th scope="col">{t('audit.target')}</th>
                  <th scope="col">{t('audit.tenant')}</th>
                  <th scope="col">{t('audit.details')}</th>
                </tr>
              </thead>
              <tbody>
                {props.rows.map((row) => (
                  <tr>
                    <td>
                      <When at={row.createdAt} />
                    </td>
                    <td>
                      <code>{row.action}</code>
                    </td>
                    <td class="small">
                      {row.actorType}
                      {row.actorId && (
                        <div>
                          <a href={`/admin/audit?actor_id=${row.actorId}`}>{row.actorId}</a>
                        </div>
                      )}
                    </td>
                    <td class="small">{row.targetId ? `${row.targetType}: ${row.targetId}` : '—'}</td>
                    <td class="small">
                      {row.tenantId ? <a href={`/admin/tenants/${row.tenantId}`}>{row.tenantId}</a> : '—'}
                    </td>
                    <td class="small">
                      <code>{row.data ? JSON.stringify(row.data) : ''}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager nextHref={props.nextHref} />
      </section>
    </>
  )
}
