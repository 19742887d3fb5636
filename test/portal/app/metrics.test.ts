import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember, createTenant } from '../../helpers/fixtures.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

/** A tenant with one Instagram connection and 60 days of followers and reach. */
async function tenantWithPoints() {
  const tenant = await createTenant(db)
  const owner = await createMember(db, tenant.tenantId, 'owner')
  const connectionId = newId('con')
  await db.owner(
    `insert into connections (id, tenant_id, platform, external_account_id, label, created_by, backfill_total_days, backfill_done_days)
     values ($1, $2, 'instagram', '17841400000000777', 'Insta Story', $3, 90, 90)`,
    [connectionId, tenant.tenantId, owner.id],
  )
  await db.owner(
    `insert into metric_points (tenant_id, connection_id, metric, granularity, period_start, value)
     select $1, $2, m.metric, m.granularity, (current_date - d)::date, case m.metric when 'followers' then 1000 + (60 - d) * 10 else 100 + d end
     from generate_series(0, 59) d, (values ('followers', 'lifetime'), ('reach', 'day')) m(metric, granularity)`,
    [tenant.tenantId, connectionId],
  )
  return { tenant, owner, connectionId }
}

describe('overview and metrics explorer', () => {
  it('shows KPI cards with the change from the previous period and SVG charts with tooltips', async () => {
    const { owner } = await tenantWithPoints()
    const client = portalClient(db, { acceptLanguage: 'en' })
    await client.login(owner.email)
    const response = await client.request('/app?period=7')
    expect(response.status).toBe(200)
    const html = await response.text()
    const text = textOf(html)
    expect(text).toContain('Insta Story')
    expect(text).toContain('Followers')
    expect(text).toMatch(/up [\d.]+% vs previous period/)
    expect(text).toMatch(/down [\d.]+% vs previous period/)
    expect(html).toContain('<svg class="chart"')
    expect(html).toMatch(/<circle[^>]*><title>Insta Story · /)
    expect(html).toContain('role="img"')
  })

  it('answers an htmx period change with the section only', async () => {
    const { owner } = await tenantWithPoints()
    const client = portalClient(db)
    await client.login(owner.email)
    const response = await client.request('/app?period=30', { headers: { 'hx-request': 'true' } })
    const html = await response.text()
    expect(html).not.toMatch(/^<!DOCTYPE/)
    expect(html).toContain('id="overview-data"')
  })

  it('filters the explorer and exports the same filters as CSV', async () => {
    const { owner, connectionId } = await tenantWithPoints()
    const client = portalClient(db, { acceptLanguage: 'en' })
    await client.login(owner.email)
    const page = await client.request(`/app/metrics?period=30&metric=reach&connection=${connectionId}`)
    const html = await page.text()
    expect(html).toContain('Insta Story · Reach')
    expect(html).not.toContain('Insta Story · Followers')
    const href = /href="(\/app\/metrics\/export\?[^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&') as string
    expect(href).toContain('metric=reach')
    const csv = await client.request(href)
    expect(csv.status).toBe(200)
    expect(csv.headers.get('content-type')).toContain('text/csv')
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename=".+\.csv"/)
    const body = await csv.text()
    const lines = body.trim().split(/\r?\n/)
    expect(lines.length).toBe(31)
    expect(body).toContain('reach')
    expect(body).not.toContain('followers')
  })

  it('refuses the export to another tenant’s person: only their own points', async () => {
    await tenantWithPoints()
    const other = await createTenant(db)
    const stranger = await createMember(db, other.tenantId, 'owner')
    const client = portalClient(db)
    await client.login(stranger.email)
    const csv = await (await client.request('/app/metrics/export?period=90')).text()
    expect(csv.trim().split(/\r?\n/)).toHaveLength(1)
  })
})
