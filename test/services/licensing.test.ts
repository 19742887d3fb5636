import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { DbHandle } from '../../db/client.ts'
import { newId } from '../../db/ids.ts'
import { LICENSE_STATUSES, type LicenseStatus } from '../../db/schema/index.ts'
import { ApiError } from '../../worker/errors.ts'
import {
  checkModule,
  loadEntitlement,
  tenantHasModuleSql,
  tenantModulesSql,
} from '../../worker/services/licensing.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'

// "A usable license that includes module M" is decided by SQL (tenant_modules, tenant_has_module)
// and read by TypeScript (checkModule in the request runner, loadEntitlement's modules). Every
// license state: each status × where `now` falls in the validity × module in or not in the plan.

const NOW = new Date('2026-06-01T12:00:00Z')
const HOUR = 3_600_000
const at = (hours: number) => new Date(NOW.getTime() + hours * HOUR)

/** Where NOW falls in [valid_from, valid_until), boundaries included. */
const WINDOWS = {
  'before valid_from': { from: at(1), until: at(720), inside: false },
  'at valid_from': { from: NOW, until: at(720), inside: true },
  inside: { from: at(-24), until: at(24), inside: true },
  'at valid_until': { from: at(-720), until: NOW, inside: false },
  'after valid_until': { from: at(-720), until: at(-1), inside: false },
} as const

type State = {
  tenantId: string
  status: LicenseStatus
  window: keyof typeof WINDOWS
  planHasModule: boolean
}

const STATES: State[] = LICENSE_STATUSES.flatMap((status) =>
  (Object.keys(WINDOWS) as (keyof typeof WINDOWS)[]).flatMap((window) =>
    [true, false].map((planHasModule) => ({ tenantId: newId('ten'), status, window, planHasModule })),
  ),
)
const NO_LICENSE = newId('ten')

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
  const withMetrics = newId('pln')
  const withoutMetrics = newId('pln')
  await db.owner(
    `insert into plans (id, code, name, modules, users_limit, connections_limit, retention_days, collection_interval_minutes)
     values ($1, $1, 'With metrics', '{metrics,calendar}', 5, 5, 365, 60), ($2, $2, 'Without', '{calendar}', 5, 5, 365, 60)`,
    [withMetrics, withoutMetrics],
  )
  const tenantIds = [...STATES.map((s) => s.tenantId), NO_LICENSE]
  await db.owner(
    `insert into tenants (id, slug, name) select id, 't-' || lower(right(id, 12)), id from unnest($1::text[]) id`,
    [tenantIds],
  )
  await db.owner(
    `insert into licenses (id, tenant_id, plan_id, status, valid_from, valid_until)
     select 'lic_' || tenant_id, tenant_id, plan_id, status, valid_from, valid_until
     from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[])
       as s(tenant_id, plan_id, status, valid_from, valid_until)`,
    [
      STATES.map((s) => s.tenantId),
      STATES.map((s) => (s.planHasModule ? withMetrics : withoutMetrics)),
      STATES.map((s) => s.status),
      STATES.map((s) => WINDOWS[s.window].from.toISOString()),
      STATES.map((s) => WINDOWS[s.window].until.toISOString()),
    ],
  )
})

/** What checkModule makes of the modules the request runner reads (its 403 code, or 'granted'). */
function verdict(modules: readonly ('metrics' | 'calendar')[] | null): string {
  try {
    checkModule(modules, 'metrics')
    return 'granted'
  } catch (error) {
    if (error instanceof ApiError) return error.code
    throw error
  }
}

/** Reads every tenant as the application role (operator mode: loadEntitlement reads licenses). */
async function readAll(tenantIds: string[]) {
  const handle = new DbHandle({
    connectionString: db.env.DATABASE_URL as string,
    wsProxy: db.env.NEON_WS_PROXY,
    connectTimeoutMs: 5000,
  })
  try {
    return await handle.transaction(
      async (tx) => {
        const read = new Map<
          string,
          { sql: boolean; modules: ('metrics' | 'calendar')[] | null; shown: string[] }
        >()
        for (const tenantId of tenantIds) {
          const [row] = await tx
            .execute<{ has: boolean; modules: ('metrics' | 'calendar')[] | null }>(
              sql`select ${tenantHasModuleSql(tenantId, 'metrics', NOW)} as has, ${tenantModulesSql(tenantId, NOW)} as modules`,
            )
            .then((r) => r.rows)
          const entitlement = await loadEntitlement(tx, tenantId, NOW)
          read.set(tenantId, {
            sql: row?.has ?? false,
            modules: row?.modules ?? null,
            shown: entitlement.modules,
          })
        }
        return read
      },
      { operator: true },
    )
  } finally {
    await handle.close()
  }
}

describe('a usable license that includes the module', () => {
  it('is decided the same way by SQL and by the TypeScript readers, for every license state', async () => {
    const read = await readAll([...STATES.map((s) => s.tenantId), NO_LICENSE])
    const table = STATES.map((state) => {
      const got = read.get(state.tenantId)
      if (!got) throw new Error(`no reading for ${state.tenantId}`)
      return {
        state: `${state.status} ${state.window} ${state.planHasModule ? 'with' : 'without'} metrics`,
        sql: got.sql,
        runner: verdict(got.modules),
        shown: got.shown.includes('metrics'),
      }
    })
    const expected = STATES.map((state) => {
      // The rule, written out: trialing or active, NOW inside [valid_from, valid_until).
      const usable =
        (state.status === 'trialing' || state.status === 'active') && WINDOWS[state.window].inside
      const granted = usable && state.planHasModule
      return {
        state: `${state.status} ${state.window} ${state.planHasModule ? 'with' : 'without'} metrics`,
        sql: granted,
        runner: granted ? 'granted' : usable ? 'MODULE_DISABLED' : 'LICENSE_INACTIVE',
        shown: granted,
      }
    })
    expect(table).toEqual(expected)
    // Both outcomes occur, so the comparison above cannot pass with a constant answer.
    expect(new Set(table.map((row) => row.runner))).toEqual(
      new Set(['granted', 'MODULE_DISABLED', 'LICENSE_INACTIVE']),
    )
  })

  it('is not granted to a tenant without a license', async () => {
    const got = (await readAll([NO_LICENSE])).get(NO_LICENSE)
    expect(got).toEqual({ sql: false, modules: null, shown: [] })
    expect(verdict(got?.modules ?? null)).toBe('LICENSE_INACTIVE')
  })
})
