import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createTenant, login } from '../../helpers/fixtures.ts'
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

/** A tenant with `accounts` Instagram connections, 14 days of every dashboard metric, account i's values scaled by i. */
async function tenantWithAccounts(accounts: number) {
  const tenant = await createTenant(db)
  const owner = await createMember(db, tenant.tenantId, 'owner')
  const ids = Array.from({ length: accounts }, (_, i) => `con_dash${String(i + 1).padStart(16, '0')}`)
  await db.owner(
    `insert into connections (id, tenant_id, platform, external_account_id, label, created_by)
     select ids.id, $1, 'instagram', 'acct-' || ids.n || '-' || $1, 'Account ' || ids.n, $2
     from unnest($3::text[]) with ordinality ids(id, n)`,
    [tenant.tenantId, owner.id, ids],
  )
  await db.owner(
    `insert into metric_points (tenant_id, connection_id, metric, granularity, period_start, value)
     select $1, ids.id, m.metric, m.granularity, (current_date - d)::date,
       ids.n * case m.metric when 'followers' then 1000 + (14 - d) else 10 + d end
     from unnest($2::text[]) with ordinality ids(id, n), generate_series(0, 13) d,
       (values ('followers', 'lifetime'), ('reach', 'day'), ('views', 'day'), ('total_interactions', 'day'),
         ('likes', 'day')) m(metric, granularity)
     where not (ids.n = 2 and m.metric = 'reach' and d = 3)`,
    [tenant.tenantId, ids],
  )
  return { tenant, owner, ids }
}

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10)

/** The points of one line as its tooltips say them: date label → value. */
function tooltips(html: string, label: string): Map<string, number> {
  const points = new Map<string, number>()
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  for (const [, date, value] of html.matchAll(
    new RegExp(`<title>${escaped} · ([^:<]+): ([\\d,.]+)</title>`, 'g'),
  ))
    points.set(date as string, Number((value as string).replaceAll(',', '')))
  return points
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
    expect(html).toMatch(/<circle[^>]*><title>Instagram · Reach · Insta Story · /)
    expect(html).toContain('role="img"')
  })

  it('says there is no basis for comparison instead of a percentage against a half-empty period (issue 22)', async () => {
    // 60 days of points: the 90-day overview's previous period (91..180 days ago) has none, the
    // 45-day one has 15 of its 45 days. Before, such cards showed rises of thousands of percent.
    const { owner } = await tenantWithPoints()
    for (const [language, expected] of [
      ['en', 'no basis for comparison'],
      ['pt-BR', 'sem base de comparação'],
    ] as const) {
      const client = portalClient(db, { acceptLanguage: language })
      await client.login(owner.email)
      for (const query of ['period=90', `from=${daysAgo(44)}&to=${daysAgo(0)}`]) {
        const text = textOf(await (await client.request(`/app?${query}`)).text())
        expect(text).toContain('Insta Story')
        // Followers compare two snapshots (one exists 45 days before); reach, a sum, is not compared.
        const reach = text.slice(text.indexOf(language === 'en' ? 'Reach' : 'Alcance'))
        expect(reach.slice(0, 200)).toContain(expected)
        expect(reach.slice(0, 200)).not.toMatch(/%/)
      }
    }
  })

  it('names a metric the same on its card and in its chart (issue 22: X views were "Impressions" in the chart)', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const connectionId = newId('con')
    await db.owner(
      `insert into connections (id, tenant_id, platform, external_account_id, label, created_by)
       values ($1, $2, 'x', 'x-1', 'Perfil X', $3)`,
      [connectionId, tenant.tenantId, owner.id],
    )
    await db.owner(
      `insert into metric_points (tenant_id, connection_id, metric, granularity, period_start, value)
       select $1, $2, 'impressions', 'day', (current_date - d)::date, 50 from generate_series(0, 6) d`,
      [tenant.tenantId, connectionId],
    )
    const client = portalClient(db, { acceptLanguage: 'en' })
    await client.login(owner.email)
    const html = await (await client.request('/app?period=7')).text()
    expect(html).toMatch(/<dt>Impressions<\/dt>/)
    expect(html).not.toMatch(/<dt>Views<\/dt>/)
    expect(html).toMatch(/<title>X · Impressions · Perfil X · /)
  })

  it('draws at most 8 lines a chart, summed in SQL, and its numbers are the API’s', async () => {
    const { owner, ids } = await tenantWithAccounts(10)
    const client = portalClient(db, { acceptLanguage: 'en' })
    await client.login(owner.email)
    const html = await (await client.request('/app?period=7')).text()
    const api = as(db, (await login(db, owner.email)).access_token)
    const from = new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10)
    const to = new Date().toISOString().slice(0, 10)
    const body = (await (await api(`/api/v1/metrics?from=${from}&to=${to}&granularity=day`)).json()) as {
      series: { connection_id: string; metric: string; points: { t: string; v: number | null }[] }[]
    }
    const date = (t: string) =>
      new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' }).format(
        new Date(`${t}T00:00:00Z`),
      )
    const sumOf = (metric: string, connections: string[]) => {
      const sums = new Map<string, number>()
      for (const series of body.series.filter(
        (s) => s.metric === metric && connections.includes(s.connection_id),
      ))
        for (const point of series.points)
          if (point.v !== null) sums.set(date(point.t), (sums.get(date(point.t)) ?? 0) + point.v)
      return sums
    }
    // Every chart (followers, then one per Instagram KPI metric: small multiples, each on its own
    // axis) draws the 7 biggest accounts (10, 9, … 4) and the other 3 summed.
    for (const [chart, metric] of [
      ['Followers', 'followers'],
      ['Instagram · Reach', 'reach'],
      ['Instagram · Views', 'views'],
      ['Instagram · Interactions', 'total_interactions'],
    ] as const) {
      for (let n = 10; n >= 4; n--)
        expect(tooltips(html, `${chart} · Account ${n}`), chart).toEqual(
          sumOf(metric, [ids[n - 1] as string]),
        )
      expect(html).not.toContain(`<title>${chart} · Account 3 · `)
      // Account 2 misses one day of reach: the summed line still adds what exists.
      expect(tooltips(html, `${chart} · 3 other accounts, summed`), chart).toEqual(
        sumOf(metric, ids.slice(0, 3)),
      )
    }
    // Likes (not behind a KPI card) is not read at all.
    expect(html).not.toMatch(/<title>[^<]*Likes/)
    expect(html.match(/<circle /g)?.length).toBe(4 * 8 * 7)
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
    // For people: names, not codes or ids (the API's export keeps the raw columns).
    expect(lines[0]).toBe('Day,Network,Account,Metric,Value')
    expect(lines[1]).toMatch(/^\d{4}-\d{2}-\d{2},Instagram,Insta Story,Reach,\d+$/)
    expect(body).not.toContain('Followers')
    expect(body).not.toContain('con_')
  })

  it('exports a CSV a Brazilian spreadsheet opens: semicolons, decimal comma, Portuguese names (issue 22)', async () => {
    const { owner, connectionId, tenant } = await tenantWithPoints()
    await db.owner(
      `update metric_points set value = 12.5 where tenant_id = $1 and metric = 'reach' and period_start = current_date`,
      [tenant.tenantId],
    )
    await db.owner(`update connections set label = 'Loja; Centro' where id = $1`, [connectionId])
    const client = portalClient(db, { acceptLanguage: 'pt-BR' })
    await client.login(owner.email)
    const csv = await (await client.request('/app/metrics/export?period=7&metric=reach')).text()
    const lines = csv.trim().split(/\r?\n/)
    expect(lines[0]).toBe('Dia;Rede;Conta;Métrica;Valor')
    const today = new Date().toISOString().slice(0, 10)
    // A separator inside a name is quoted; the decimal is a comma.
    expect(lines).toContain(`${today};Instagram;"Loja; Centro";Alcance;12,5`)
    expect(lines).toHaveLength(8)
  })

  it('exports the period on screen: presets, custom dates, and what the picker shows', async () => {
    const { owner, connectionId } = await tenantWithPoints()
    const client = portalClient(db, { acceptLanguage: 'en' })
    await client.login(owner.email)
    const day = (back: number) => new Date(Date.now() - back * 86_400_000).toISOString().slice(0, 10)
    const cases = [
      { query: 'period=7', from: day(6), to: day(0) },
      { query: 'period=90', from: day(89), to: day(0) },
      { query: `from=${day(40)}&to=${day(31)}`, from: day(40), to: day(31) },
      // A stale preset beside dates (an old URL): the dates are the period.
      { query: `period=7&from=${day(20)}&to=${day(11)}`, from: day(20), to: day(11) },
    ]
    for (const { query, from, to } of cases) {
      const html = await (
        await client.request(`/app/metrics?${query}&metric=reach&connection=${connectionId}`)
      ).text()
      // The picker shows the period's own dates.
      expect(html).toContain(`name="from" value="${from}"`)
      expect(html).toContain(`name="to" value="${to}"`)
      const href = /href="(\/app\/metrics\/export\?[^"]+)"/
        .exec(html)?.[1]
        ?.replaceAll('&amp;', '&') as string
      const csv = await client.request(href)
      const rows = (await csv.text()).trim().split(/\r?\n/).slice(1)
      const dates = rows.map((row) => /\d{4}-\d{2}-\d{2}/.exec(row)?.[0]).sort()
      // Points exist for the last 60 days only.
      const expected = Array.from({ length: 90 }, (_, i) => day(89 - i)).filter(
        (d) => d >= from && d <= to && d >= day(59),
      )
      expect(dates, query).toEqual(expected)
      expect(csv.headers.get('content-disposition'), query).toContain(`${from}_${to}`)
    }
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
