import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { DbHandle } from '../../../db/client.ts'
import { newId } from '../../../db/ids.ts'
import { instagramCatalog } from '../../../worker/connectors/instagram/catalog.ts'
import { EXPORT_PAGE_ROWS } from '../../../worker/services/metrics/export.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createTenant, login } from '../../helpers/fixtures.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

/** Per DbHandle (the request's, then the stream's own): transactions run and whether it was closed. */
function trackHandles() {
  const handles = new Map<DbHandle, { transactions: number; closed: boolean }>()
  const entry = (handle: DbHandle) => {
    const found = handles.get(handle) ?? { transactions: 0, closed: false }
    handles.set(handle, found)
    return found
  }
  const { close, transaction } = DbHandle.prototype
  vi.spyOn(DbHandle.prototype, 'transaction').mockImplementation(function (this: DbHandle, ...args) {
    entry(this).transactions++
    return transaction.apply(this, args)
  } as typeof transaction)
  vi.spyOn(DbHandle.prototype, 'close').mockImplementation(function (this: DbHandle) {
    entry(this).closed = true
    return close.call(this)
  })
  return () => [...handles.values()]
}

afterEach(() => {
  vi.restoreAllMocks()
})

const LABELS = ['Loja, Centro', 'Café "Bom" Ação', '=HYPERLINK("x")'] as const
const METRICS = Object.keys(instagramCatalog.metrics)

/** Three Instagram accounts × every catalog metric × 365 days: more rows than two export pages. */
async function seed() {
  const tenant = await createTenant(db)
  const owner = await createMember(db, tenant.tenantId, 'owner')
  const call = as(db, (await login(db, owner.email)).access_token)
  const ids: string[] = []
  for (const label of LABELS) {
    const id = newId('con')
    ids.push(id)
    await db.owner(
      `insert into connections (id, tenant_id, platform, external_account_id, label) values ($1, $2, 'instagram', $1, $3)`,
      [id, tenant.tenantId, label],
    )
  }
  await db.owner(
    `insert into metric_points (tenant_id, connection_id, metric, granularity, period_start, value)
     select $1, c.id, m.metric, case when m.metric = 'followers' then 'lifetime' else 'day' end, d::date,
       (d::date - '2025-01-01'::date) * 100 + m.n
     from unnest($2::text[]) as c(id), unnest($3::text[]) with ordinality as m(metric, n),
       generate_series('2025-01-01'::date, '2025-12-31'::date, interval '1 day') as d`,
    [tenant.tenantId, ids, METRICS],
  )
  return { tenant, call, ids, rows: ids.length * METRICS.length * 365 }
}

/** RFC 4180: fields separated by commas, quoted when needed with "" for a quote, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (char === '"') quoted = false
      else field += char
    } else if (char === '"') quoted = true
    else if (char === ',') {
      row.push(field)
      field = ''
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else field += char
  }
  expect(field).toBe('') // the file ends with CRLF
  return rows
}

type Expected = {
  period_start: string
  connection_id: string
  metric: string
  granularity: string
  value: number
}

async function expectedRows(tenantId: string) {
  return db.owner<Expected>(
    `select to_char(period_start, 'YYYY-MM-DD') as period_start, connection_id, metric, granularity, value
     from metric_points where tenant_id = $1 order by period_start, connection_id, metric, granularity`,
    [tenantId],
  )
}

describe('GET /api/v1/metrics/export', () => {
  it('streams every point as CSV over several pages, in key order, quoted, UTF-8 with BOM', async () => {
    const { tenant, call, ids, rows } = await seed()
    expect(rows).toBeGreaterThan(2 * EXPORT_PAGE_ROWS)
    const handles = trackHandles()
    const response = await call('/api/v1/metrics/export?format=csv&from=2025-01-01&to=2025-12-31')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present')
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="${tenant.slug}_metrics_2025-01-01_2025-12-31.csv"`,
    )
    const bytes = new Uint8Array(await response.arrayBuffer())
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const [header, ...lines] = parseCsv(new TextDecoder().decode(bytes.slice(3)))
    expect(header).toEqual([
      'period_start',
      'connection_id',
      'platform',
      'label',
      'metric',
      'granularity',
      'value',
      'collected_at',
    ])
    const expected = await expectedRows(tenant.tenantId)
    expect(lines).toHaveLength(rows)
    // Same rows, same order: nothing lost or repeated at the page boundaries.
    expect(
      lines.map(([day, id, , , metric, granularity, value]) => [day, id, metric, granularity, Number(value)]),
    ).toEqual(expected.map((p) => [p.period_start, p.connection_id, p.metric, p.granularity, p.value]))
    const labelOf = new Map(lines.map((line) => [line[1], line[3]]))
    expect(ids.map((id) => labelOf.get(id))).toEqual(['Loja, Centro', 'Café "Bom" Ação', '\'=HYPERLINK("x")'])
    const text = new TextDecoder().decode(bytes)
    expect(text).toContain(`,instagram,"Loja, Centro",`)
    expect(text).toContain(`,instagram,"Café ""Bom"" Ação",`)
    // The request's transaction read the first page; the stream's own handle one transaction per
    // later page, and both handles are closed once the last page was read.
    expect(handles()).toEqual([
      { transactions: 1, closed: true },
      { transactions: Math.ceil(rows / EXPORT_PAGE_ROWS) - 1, closed: true },
    ])
  })

  it('streams NDJSON with the same filters', async () => {
    const { tenant, call, ids } = await seed()
    const response = await call(
      `/api/v1/metrics/export?format=ndjson&from=2025-03-01&to=2025-03-02&metric=reach,followers&connection_id=${ids[1]}`,
    )
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8')
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="${tenant.slug}_metrics_2025-03-01_2025-03-02.ndjson"`,
    )
    const text = new TextDecoder().decode(await response.arrayBuffer())
    expect(text.endsWith('\n')).toBe(true)
    const lines = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line))
    const reach = METRICS.indexOf('reach') + 1
    const followers = METRICS.indexOf('followers') + 1
    expect(lines.map(({ collected_at: _, ...point }) => point)).toEqual([
      ...['2025-03-01', '2025-03-02'].flatMap((day, i) => [
        {
          period_start: day,
          connection_id: ids[1],
          platform: 'instagram',
          label: LABELS[1],
          metric: 'followers',
          granularity: 'lifetime',
          value: (59 + i) * 100 + followers,
        },
        {
          period_start: day,
          connection_id: ids[1],
          platform: 'instagram',
          label: LABELS[1],
          metric: 'reach',
          granularity: 'day',
          value: (59 + i) * 100 + reach,
        },
      ]),
    ])
  })

  it('closes the stream’s database handle when the client stops reading', async () => {
    const { call } = await seed()
    const handles = trackHandles()
    const response = await call('/api/v1/metrics/export?format=csv&from=2025-01-01&to=2025-12-31')
    expect(handles()).toEqual([{ transactions: 1, closed: true }]) // the request's, after the response
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    await reader.read()
    await reader.cancel()
    // The stream's handle (its next page possibly in flight at the cancel) is closed too.
    expect(handles().map((handle) => handle.closed)).toEqual([true, true])
  })

  it('answers 400 for a missing or unknown format and a bad range', async () => {
    const { call } = await seed()
    for (const [query, field] of [
      ['', 'query.format'],
      ['format=xlsx', 'query.format'],
      ['format=csv&from=2025-02-01&to=2025-01-01', 'query.from'],
    ]) {
      const response = await call(`/api/v1/metrics/export?${query}`)
      expect(response.status).toBe(400)
      const body = (await response.json()) as { error: { fields: { path: string }[] } }
      expect(body.error.fields.map((f) => f.path)).toEqual([field])
    }
  })
})
