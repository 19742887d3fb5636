import { expect, it } from 'vitest'
import { newId } from '../../db/ids.ts'
import type { TestDatabase } from './env.ts'
import type { as } from './fixtures.ts'

type Call = ReturnType<typeof as>
export type AuditRow = {
  id: string
  action: string
  tenant_id: string | null
  actor_type: string
  actor_id: string | null
  created_at: string
  data: unknown
}
type Page = { data: AuditRow[]; next_cursor: string | null }

/** Audit rows written straight into the table, with the timestamps a test needs. */
export async function seedAudit(
  db: TestDatabase,
  tenantId: string | null,
  rows: { action: string; actorId?: string; at: string }[],
): Promise<string[]> {
  const ids: string[] = []
  for (const row of rows) {
    const id = newId('aud')
    ids.push(id)
    await db.owner(
      `insert into audit_log (id, tenant_id, actor_type, actor_id, action, data, created_at)
       values ($1, $2, 'member', $3, $4, $5, $6)`,
      [id, tenantId, row.actorId ?? 'usr_seeded', row.action, JSON.stringify({ fooBar: 1 }), row.at],
    )
  }
  return ids
}

/** Every page of a listing, following `next_cursor`. */
export async function readAllAudit(call: Call, path: string, query: string): Promise<AuditRow[]> {
  const rows: AuditRow[] = []
  let cursor: string | null = null
  do {
    const response = await call(`${path}?${query}${cursor ? `&cursor=${cursor}` : ''}`)
    expect(response.status, await response.clone().text()).toBe(200)
    const page = (await response.json()) as Page
    rows.push(...page.data)
    cursor = page.next_cursor
  } while (cursor)
  return rows
}

/**
 * The rules both audit listings share (`/api/v1/audit` and `/api/v1/admin/audit`), run over each:
 * `setup` gives a caller and a tenant whose rows the caller lists, and `scope` the query that
 * narrows the listing to that tenant (empty for a tenant's own listing).
 */
export function auditListingRules(
  path: string,
  setup: () => Promise<{ db: TestDatabase; call: Call; tenantId: string; scope: string }>,
) {
  it('filters by action prefix (taken literally), actor and time window (from inclusive, to exclusive)', async () => {
    const { db, call, tenantId, scope } = await setup()
    const [early, middle, late, other] = await seedAudit(db, tenantId, [
      { action: 'user.created', actorId: 'usr_aaaaaaaaaaaaaaaaaaaa', at: '2026-02-01T00:00:00Z' },
      { action: 'user.role_changed', actorId: 'usr_aaaaaaaaaaaaaaaaaaaa', at: '2026-02-02T00:00:00Z' },
      { action: 'user.deactivated', actorId: 'usr_bbbbbbbbbbbbbbbbbbbb', at: '2026-02-03T00:00:00Z' },
      { action: 'users_export.ran', actorId: 'usr_aaaaaaaaaaaaaaaaaaaa', at: '2026-02-02T12:00:00Z' },
    ])
    const ids = async (query: string) => (await readAllAudit(call, path, `${scope}${query}`)).map((r) => r.id)
    expect(await ids('action=user.')).toEqual([late, middle, early])
    expect(await ids('action=user.&actor_id=usr_aaaaaaaaaaaaaaaaaaaa')).toEqual([middle, early])
    expect(await ids('action=user&from=2026-02-02T00:00:00Z&to=2026-02-03T00:00:00Z')).toEqual([
      other,
      middle,
    ])
    // `%` and `_` are not wildcards.
    expect(await ids('action=user_')).toEqual([])
    expect(await ids('action=users_')).toEqual([other])
    expect(await ids('action=%25')).toEqual([])
  })

  it('answers rows in snake_case with their tenant, and `data` as it was written', async () => {
    const { db, call, tenantId, scope } = await setup()
    const [id] = await seedAudit(db, tenantId, [{ action: 'seed.shape', at: '2026-02-05T00:00:00Z' }])
    const [row] = await readAllAudit(call, path, `${scope}action=seed.shape`)
    expect(row).toMatchObject({ id, tenant_id: tenantId, actor_type: 'member', actor_id: 'usr_seeded' })
    expect(row?.data).toEqual({ fooBar: 1 })
  })

  it('pages through rows that share a timestamp without losing or repeating any', async () => {
    const { db, call, tenantId, scope } = await setup()
    const same = '2026-01-01T00:00:00.123456Z'
    const ids = await seedAudit(db, tenantId, [
      ...Array.from({ length: 5 }, () => ({ action: 'seed.same', at: same })),
      { action: 'seed.same', at: '2026-01-01T00:00:00.123457Z' },
      { action: 'seed.same', at: '2026-01-01T00:00:00.123455Z' },
    ])
    const rows = await readAllAudit(call, path, `${scope}limit=2&action=seed.same`)
    expect(rows).toHaveLength(7)
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ids))
    expect(rows[0]?.id).toBe(ids[5])
    expect(rows[6]?.id).toBe(ids[6])
    const tied = rows.slice(1, 6).map((r) => r.id)
    expect(tied).toEqual([...tied].sort().reverse())
  })

  it('names invalid query fields', async () => {
    const { call, scope } = await setup()
    for (const [query, field] of [
      ['from=2026-02-02T00:00:00Z&to=2026-02-01T00:00:00Z', 'query.to'],
      ['from=2026-02-02T00:00:00Z&to=2026-02-02T00:00:00Z', 'query.to'],
      ['from=yesterday', 'query.from'],
      ['to=2026-02-02', 'query.to'],
      ['actor_id=bob', 'query.actor_id'],
      ['action=', 'query.action'],
      ['limit=500', 'query.limit'],
      ['cursor=abc', 'query.cursor'],
      [`cursor=${btoa(JSON.stringify(['not a time', 'aud_x']))}`, 'query.cursor'],
    ] as const) {
      const response = await call(`${path}?${scope}${query}`)
      expect(response.status, query).toBe(400)
      const body = (await response.json()) as { error: { code: string; fields: { path: string }[] } }
      expect(body.error.code).toBe('VALIDATION_FAILED')
      expect(body.error.fields.map((f) => f.path)).toEqual([field])
    }
  })
}
