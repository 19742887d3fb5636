import { Status, When } from '../../components/status.tsx'
import { labelOf, useI18n } from '../../i18n/index.ts'

export type DashboardView = {
  tenants: Record<string, number>
  licensesExpiring: {
    withinDays: number
    count: number
    data: {
      id: string
      tenantId: string
      tenantName: string
      planCode: string
      status: string
      validUntil: Date | string
    }[]
  }
  users: { activeMembers: number; operators: number }
  collection: {
    windowHours: number
    runs: Record<string, number>
    deadLetters: number
    connections: Record<string, number>
    recentFailures: {
      runId: string | number
      tenantId: string
      platform: string
      status: string
      error: string | null
      startedAt: Date | string
    }[]
  }
}

function Counts(props: { title: string; counts: Record<string, number>; href?: (status: string) => string }) {
  const { t, number } = useI18n()
  return (
    <article class="card">
      <h3>{props.title}</h3>
      <dl class="facts">
        {Object.entries(props.counts).map(([status, count]) => (
          <>
            <dt>
              {props.href ? (
                <a href={props.href(status)}>{labelOf(t, 'status', status)}</a>
              ) : (
                labelOf(t, 'status', status)
              )}
            </dt>
            <dd>{number(count)}</dd>
          </>
        ))}
      </dl>
    </article>
  )
}

/** The operators' first page: tenants, licenses about to end, and collection health, with links down. */
export function DashboardPage(props: { data: DashboardView }) {
  const { t, number } = useI18n()
  const d = props.data
  return (
    <>
      <h1>{t('dashboard.title')}</h1>
      <div class="grid">
        <Counts
          title={t('nav.tenants')}
          counts={d.tenants}
          href={(status) => `/admin/tenants?status=${status}`}
        />
        <article class="card">
          <h3>{t('dashboard.people')}</h3>
          <dl class="facts">
            <dt>{t('dashboard.activeMembers')}</dt>
            <dd>{number(d.users.activeMembers)}</dd>
            <dt>{t('dashboard.operators')}</dt>
            <dd>{number(d.users.operators)}</dd>
          </dl>
        </article>
        <Counts title={t('dashboard.runs', { hours: d.collection.windowHours })} counts={d.collection.runs} />
        <Counts title={t('dashboard.connections')} counts={d.collection.connections} />
        <article class="card">
          <h3>{t('dashboard.deadLetters')}</h3>
          <p class="kpi">
            <span class="value">{number(d.collection.deadLetters)}</span>
            <span class="muted">{t('dashboard.lastHours', { hours: d.collection.windowHours })}</span>
          </p>
        </article>
      </div>
      <section aria-labelledby="expiring-title">
        <h2 id="expiring-title">
          {t('dashboard.expiring', { days: d.licensesExpiring.withinDays, count: d.licensesExpiring.count })}
        </h2>
        {d.licensesExpiring.data.length === 0 ? (
          <p class="muted">{t('list.empty')}</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('tenants.name')}</th>
                  <th scope="col">{t('licenses.plan')}</th>
                  <th scope="col">{t('licenses.status')}</th>
                  <th scope="col">{t('licenses.validUntil')}</th>
                </tr>
              </thead>
              <tbody>
                {d.licensesExpiring.data.map((license) => (
                  <tr>
                    <td>
                      <a href={`/admin/tenants/${license.tenantId}`}>{license.tenantName}</a>
                    </td>
                    <td>{license.planCode}</td>
                    <td>
                      <Status value={license.status} />
                    </td>
                    <td>
                      <When at={license.validUntil} date />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p>
          <a href={`/admin/licenses?expiring_within_days=${d.licensesExpiring.withinDays}`}>
            {t('dashboard.allExpiring')}
          </a>
        </p>
      </section>
      <section aria-labelledby="failures-title">
        <h2 id="failures-title">{t('dashboard.failures')}</h2>
        {d.collection.recentFailures.length === 0 ? (
          <p class="muted">{t('dashboard.noFailures')}</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('connections.runStarted')}</th>
                  <th scope="col">{t('tenants.tenant')}</th>
                  <th scope="col">{t('connections.platform')}</th>
                  <th scope="col">{t('connections.status')}</th>
                  <th scope="col">{t('connections.lastError')}</th>
                </tr>
              </thead>
              <tbody>
                {d.collection.recentFailures.map((failure) => (
                  <tr>
                    <td>
                      <When at={failure.startedAt} />
                    </td>
                    <td>
                      <a href={`/admin/tenants/${failure.tenantId}`}>{failure.tenantId}</a>
                    </td>
                    <td>{labelOf(t, 'platform', failure.platform)}</td>
                    <td>
                      <Status value={failure.status} />
                    </td>
                    <td class="small">{failure.error ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  )
}
