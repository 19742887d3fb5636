import { Alert, Field, type FormState, formValue, HxForm, Pager, Select } from '../../components/forms.tsx'
import { Status, When } from '../../components/status.tsx'
import { useI18n } from '../../i18n/index.ts'

export type TenantRow = {
  id: string
  slug: string
  name: string
  status: string
  createdAt: Date | string
  licenseStatus: string | null
  planCode: string | null
}

/** Tenants: search by name or slug, filter by status, create. */
export function TenantsPage(props: {
  rows: TenantRow[]
  q: string
  status: string
  nextHref: string | null
  form?: FormState
}) {
  const { t } = useI18n()
  return (
    <>
      <h1>{t('tenants.title')}</h1>
      <HxForm
        action="/admin/tenants"
        method="get"
        target="#tenants"
        class="card row"
        pushUrl
        label={t('tenants.search')}
      >
        <div class="field">
          <label for="f-q">{t('tenants.search')}</label>
          <input id="f-q" name="q" type="search" value={props.q} />
        </div>
        <Select
          name="status"
          label="tenants.status"
          value={props.status}
          options={[
            { value: '', label: t('filter.all') },
            ...(['active', 'suspended', 'deleted'] as const).map((s) => ({
              value: s,
              label: t(`status.${s}`),
            })),
          ]}
        />
        <button type="submit" class="primary">
          {t('filter.apply')}
        </button>
      </HxForm>
      <section id="tenants" aria-label={t('tenants.title')}>
        {props.rows.length === 0 ? (
          <p class="muted">{t('list.empty')}</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('tenants.name')}</th>
                  <th scope="col">{t('tenants.status')}</th>
                  <th scope="col">{t('licenses.plan')}</th>
                  <th scope="col">{t('licenses.status')}</th>
                  <th scope="col">{t('tenants.created')}</th>
                </tr>
              </thead>
              <tbody>
                {props.rows.map((row) => (
                  <tr>
                    <td>
                      <a href={`/admin/tenants/${row.id}`}>{row.name}</a>
                      <div class="muted small">{row.slug}</div>
                    </td>
                    <td>
                      <Status value={row.status} />
                    </td>
                    <td>{row.planCode ?? '—'}</td>
                    <td>
                      <Status value={row.licenseStatus} />
                    </td>
                    <td>
                      <When at={row.createdAt} date />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager nextHref={props.nextHref} />
      </section>
      <section id="new-tenant" class="card" aria-labelledby="new-tenant-title">
        <h2 id="new-tenant-title">{t('tenants.create')}</h2>
        {props.form?.message && <Alert kind="error">{t(props.form.message)}</Alert>}
        <HxForm action="/admin/tenants" target="#new-tenant" label={t('tenants.create')}>
          <Field
            name="name"
            label="tenants.name"
            value={formValue(props.form, 'name')}
            errors={props.form?.errors}
            required
          />
          <Field
            name="slug"
            label="tenants.slug"
            value={formValue(props.form, 'slug')}
            errors={props.form?.errors}
            required
            hint="tenants.slugHint"
          />
          <button type="submit" class="primary">
            {t('tenants.createSubmit')}
          </button>
        </HxForm>
      </section>
    </>
  )
}
