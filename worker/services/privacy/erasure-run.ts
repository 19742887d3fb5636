import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { newId } from '../../../db/ids.ts'
import { connections, erasureReceipts, erasureRequests, tenants } from '../../../db/schema/index.ts'
import type { JobOf } from '../../jobs/messages.ts'
import { log } from '../../log.ts'
import type { JobQueue, KeyValueStore, Services } from '../../runtime/ports.ts'
import { Vault } from '../../vault/vault.ts'
import { writeAudit } from '../audit.ts'
import { anonymizeOrders, COMMERCE_KEPT_ON_ERASURE } from '../commerce/erasure.ts'
import { tenantPrefix } from '../files/files.ts'
import { exportPrefix } from './exports.ts'

// The deletion that cannot be undone: found due by the cron tick once an erasure's grace period
// is over, then carried out by the `privacy.erase` job, exactly once. Requests are erasure-requests.ts.

/**
 * Tables with a tenant_id that outlive the tenant's erasure: the receipt, and the data key's
 * tombstone (no key material left) that keeps a destroyed key from ever being recreated.
 */
export const ERASURE_SURVIVORS: ReadonlySet<string> = new Set([
  'erasure_receipts',
  'tenant_keys',
  // Sales kept for the fiscal record, with the customer blanked (services/commerce/erasure.ts).
  ...COMMERCE_KEPT_ON_ERASURE,
])
/** Immutable for the application role: removed through `privacy_erase_consents` (migration 0011). */
const FUNCTION_ONLY: ReadonlySet<string> = new Set(['consents'])
/** The largest tables, deleted in committed batches first so a retried job resumes where it was. */
const BATCHED_TABLES = ['metric_points', 'collection_runs'] as const
export const ERASURE_BATCH_ROWS = 5000
/** Requests started per cron tick; more wait for the next tick. */
const DUE_PER_TICK = 100

/** Every KV key of the tenant's vault (or of one owner, e.g. a connection): see `kvKeyOf`. */
export const vaultPrefix = (tenantId: string, ownerId?: string) =>
  ownerId ? `vault/${tenantId}/${ownerId}/` : `vault/${tenantId}/`

const SYSTEM = { type: 'system', id: null } as const

/**
 * The cron tick's part (in its transaction, operator mode): every scheduled request whose grace
 * period is over becomes `erasing` and gets its job. The status change happens once, whichever
 * tick sees it first (rows being canceled right now are skipped, not waited for); a job that
 * runs before this transaction commits waits on the row lock, then finds `erasing`.
 */
export async function queueDueErasures(tx: Tx, jobs: JobQueue, now: Date): Promise<number> {
  const due = await tx
    .select({ id: erasureRequests.id })
    .from(erasureRequests)
    .where(and(eq(erasureRequests.status, 'scheduled'), lte(erasureRequests.scheduledFor, now)))
    .orderBy(asc(erasureRequests.scheduledFor))
    .limit(DUE_PER_TICK)
    .for('update', { skipLocked: true })
  if (due.length === 0) return 0
  const started = await tx
    .update(erasureRequests)
    .set({ status: 'erasing', startedAt: now })
    .where(
      and(
        inArray(
          erasureRequests.id,
          due.map((row) => row.id),
        ),
        eq(erasureRequests.status, 'scheduled'),
      ),
    )
    .returning({
      id: erasureRequests.id,
      tenantId: erasureRequests.tenantId,
      scope: erasureRequests.scope,
      subjectId: erasureRequests.subjectId,
    })
  for (const request of started)
    await writeAudit(tx, SYSTEM, null, {
      action: 'erasure.started',
      // A tenant's erasure is in the central's trail: the tenant's own goes with it.
      tenantId: request.scope === 'tenant' ? null : request.tenantId,
      target: { type: 'erasure_request', id: request.id },
      data: { tenant_id: request.tenantId, scope: request.scope, subject_id: request.subjectId },
    })
  await jobs.sendMany(
    started.map((request) => ({
      type: 'privacy.erase' as const,
      v: 1 as const,
      tenantId: request.tenantId,
      requestId: request.id,
    })),
  )
  return started.length
}

// ---------------------------------------------------------------------------------------------
// Deleting

/** Tables of the public schema with every one of `columns` (e.g. tenant_id), survivors excluded. */
async function tablesWith(tx: Tx, columns: string[]): Promise<string[]> {
  const result = await tx.execute<{ name: string }>(sql`
    select c.table_name as name from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
      and c.column_name in (${sql.join(
        columns.map((column) => sql`${column}`),
        sql`, `,
      )})
    group by c.table_name having count(*) = ${columns.length}
    order by c.table_name`)
  return result.rows.map((row) => row.name).filter((name) => !ERASURE_SURVIVORS.has(name))
}

/**
 * `tables` ordered so that a table comes before every table it references (foreign keys between
 * them), so deleting in this order never trips a constraint. Found in the catalog, so a tenant
 * table added by a later migration is erased without this code changing.
 */
async function deletionOrder(tx: Tx, tables: string[]): Promise<string[]> {
  const edges = await tx.execute<{ child: string; parent: string }>(sql`
    select child.relname as child, parent.relname as parent from pg_constraint k
    join pg_class child on child.oid = k.conrelid
    join pg_class parent on parent.oid = k.confrelid
    where k.contype = 'f' and k.connamespace = 'public'::regnamespace and k.conrelid <> k.confrelid`)
  const inSet = new Set(tables)
  const children = new Map<string, Set<string>>(tables.map((table) => [table, new Set()]))
  for (const { child, parent } of edges.rows)
    if (inSet.has(child) && inSet.has(parent)) children.get(parent)?.add(child)
  const ordered: string[] = []
  const done = new Set<string>()
  while (ordered.length < tables.length) {
    const next = tables.find(
      (table) => !done.has(table) && [...(children.get(table) ?? [])].every((c) => done.has(c)),
    )
    if (!next) throw new Error('foreign keys between tenant tables form a cycle')
    ordered.push(next)
    done.add(next)
  }
  return ordered
}

async function deleteWhere(tx: Tx, table: string, where: ReturnType<typeof sql>): Promise<number> {
  const result = await tx.execute<{ n: number }>(sql`
    with gone as (delete from ${sql.identifier(table)} where ${where} returning 1)
    select count(*)::int as n from gone`)
  return result.rows[0]?.n ?? 0
}

async function deleteBatch(tx: Tx, table: string, tenantId: string): Promise<number> {
  const name = sql.identifier(table)
  return deleteWhere(
    tx,
    table,
    sql`ctid = any(array(select ctid from ${name} where tenant_id = ${tenantId} limit ${ERASURE_BATCH_ROWS}))`,
  )
}

async function eraseConsents(tx: Tx, tenantId: string, subjectId: string | null): Promise<number> {
  const result = await tx.execute<{ n: number }>(
    sql`select privacy_erase_consents(${tenantId}, ${subjectId}) as n`,
  )
  return result.rows[0]?.n ?? 0
}

async function deleteKeys(kv: KeyValueStore, prefix: string): Promise<number> {
  const keys = await kv.list(prefix)
  for (const key of keys) await kv.delete(key)
  return keys.length
}

/**
 * The `privacy.erase` job: carries out a request the cron tick started (`erasing`). Anything
 * else (canceled in time, already done and gone, a message from before the grace period) is
 * acknowledged and left alone, so a redelivery or a second message does nothing.
 */
export async function runErasure(job: JobOf<'privacy.erase'>, services: Services): Promise<void> {
  const [request] = await services.db.transaction(
    (tx) =>
      tx
        .select()
        .from(erasureRequests)
        .where(and(eq(erasureRequests.id, job.requestId), eq(erasureRequests.tenantId, job.tenantId))),
    { operator: true },
  )
  if (request?.status !== 'erasing') {
    log('info', 'erasure skipped: not under way', {
      request_id: job.requestId,
      tenant_id: job.tenantId,
      status: request?.status ?? null,
    })
    return
  }
  if (request.scope === 'connection') await eraseConnection(services, request)
  else await eraseTenant(services, request)
}

type StartedRequest = typeof erasureRequests.$inferSelect

/**
 * One connection, in one transaction of its tenant: its rows in every table that has a
 * connection_id, its consent records, the connection, and its vault entries in KV. The request
 * ends `completed`, naming the receipt that stays with the tenant.
 */
async function eraseConnection(services: Services, request: StartedRequest): Promise<void> {
  const { tenantId, subjectId: connectionId } = request
  const receiptId = await services.db.transaction(
    async (tx) => {
      // A concurrent delivery of the same job waits here, then finds it completed.
      const [locked] = await tx
        .select({ status: erasureRequests.status })
        .from(erasureRequests)
        .where(eq(erasureRequests.id, request.id))
        .for('update')
      if (locked?.status !== 'erasing') return null
      const [connection] = await tx
        .select({ platform: connections.platform })
        .from(connections)
        .where(and(eq(connections.id, connectionId), eq(connections.tenantId, tenantId)))
      const counts: Record<string, number> = {}
      for (const table of await tablesWith(tx, ['tenant_id', 'connection_id']))
        counts[table] = await deleteWhere(
          tx,
          table,
          sql`tenant_id = ${tenantId} and connection_id = ${connectionId}`,
        )
      counts.consents = await eraseConsents(tx, tenantId, connectionId)
      counts.connections = await deleteWhere(
        tx,
        'connections',
        sql`tenant_id = ${tenantId} and id = ${connectionId}`,
      )
      const kvKeysDeleted = await deleteKeys(services.tokens, vaultPrefix(tenantId, connectionId))
      const id = newId('rcp')
      await tx.insert(erasureReceipts).values({
        id,
        tenantId,
        scope: 'connection',
        subjectId: connectionId,
        requestId: request.id,
        requestedAt: request.createdAt,
        confirmedBy: request.confirmedBy,
        confirmedAt: request.confirmedAt,
        rowCounts: counts,
        kvKeysDeleted,
        keyDestroyed: false,
      })
      await tx
        .update(erasureRequests)
        .set({ status: 'completed', completedAt: sql`now()`, receiptId: id })
        .where(eq(erasureRequests.id, request.id))
      await writeAudit(tx, SYSTEM, null, {
        action: 'connection.erased',
        tenantId,
        target: { type: 'connection', id: connectionId },
        data: {
          platform: connection?.platform ?? null,
          request_id: request.id,
          receipt_id: id,
          row_counts: counts,
        },
      })
      return id
    },
    { tenantId },
  )
  if (receiptId)
    log('info', 'connection erased', {
      tenant_id: tenantId,
      connection_id: connectionId,
      request_id: request.id,
      receipt_id: receiptId,
    })
}

/**
 * The whole tenant: the largest tables in committed batches (progress kept on the request, so a
 * retry resumes), then the KV entries and export archives, then one transaction that destroys
 * the data key, deletes every remaining row of every tenant table (the request too), leaves an
 * anonymous tombstone of the tenant and writes the receipt. A redelivery after that finds no
 * request and does nothing.
 */
async function eraseTenant(services: Services, request: StartedRequest): Promise<void> {
  const { db } = services
  const { tenantId, id: requestId } = request
  const operator = { operator: true }
  const thisRequest = and(eq(erasureRequests.id, requestId), eq(erasureRequests.tenantId, tenantId))
  const progress: Record<string, number> = { ...(request.progress ?? {}) }
  const saveProgress = (tx: Tx) => tx.update(erasureRequests).set({ progress }).where(thisRequest)

  for (const table of BATCHED_TABLES) {
    for (;;) {
      const deleted = await db.transaction(async (tx) => {
        const n = await deleteBatch(tx, table, tenantId)
        progress[table] = (progress[table] ?? 0) + n
        await saveProgress(tx)
        return n
      }, operator)
      if (deleted < ERASURE_BATCH_ROWS) break
    }
  }

  // Not transactional: listed again on a retry, so whatever a failed attempt left is found.
  const kvKeys = await deleteKeys(services.tokens, vaultPrefix(tenantId))
  const objects = await services.exports.list(exportPrefix(tenantId))
  await services.exports.delete(objects)
  // Kept files (report PDFs, documents, templates, logos) live under the tenant's own prefix.
  const files = await services.files.list(tenantPrefix(tenantId))
  await services.files.delete(files)
  objects.push(...files)
  const kvKeysDeleted = (progress['kv:keys'] ?? 0) + kvKeys
  const objectsDeleted = (progress['r2:objects'] ?? 0) + objects.length
  progress['kv:keys'] = kvKeysDeleted
  progress['r2:objects'] = objectsDeleted
  await db.transaction(saveProgress, operator)

  const receiptId = await db.transaction(async (tx) => {
    // A concurrent delivery of the same job waits here, then finds the request gone.
    const [locked] = await tx
      .select({ status: erasureRequests.status })
      .from(erasureRequests)
      .where(thisRequest)
      .for('update')
    if (locked?.status !== 'erasing') return null
    const counts: Record<string, number> = {}
    for (const table of BATCHED_TABLES) counts[table] = progress[table] ?? 0
    // Login attempts are keyed by a hash of the e-mail: found through the members, before they go.
    counts.login_attempts = await deleteWhere(
      tx,
      'login_attempts',
      sql`account_key in (select encode(sha256(convert_to(lower(email), 'UTF8')), 'hex') from users where tenant_id = ${tenantId})`,
    )
    // Reset-link requests are keyed by the same hash of the e-mail.
    counts.password_reset_requests = await deleteWhere(
      tx,
      'password_reset_requests',
      sql`account_key in (select encode(sha256(convert_to(lower(email), 'UTF8')), 'hex') from users where tenant_id = ${tenantId})`,
    )
    counts.job_dead_letters = await deleteWhere(tx, 'job_dead_letters', sql`body->>'tenantId' = ${tenantId}`)
    // First, so the vault removes the copies it registered (edge copies) while it still can.
    await new Vault(tx, services.tokens, services.config.VAULT_MASTER_KEYS).destroyTenantKey(tenantId)
    counts.consents = await eraseConsents(tx, tenantId, null)
    counts['commerce_orders:anonymized'] = await anonymizeOrders(tx, tenantId)
    const tables = (await tablesWith(tx, ['tenant_id'])).filter((table) => !FUNCTION_ONLY.has(table))
    for (const table of await deletionOrder(tx, tables))
      counts[table] = (counts[table] ?? 0) + (await deleteWhere(tx, table, sql`tenant_id = ${tenantId}`))
    // The row stays as an anonymous tombstone: the data key's tombstone and receipts refer to it.
    await tx
      .update(tenants)
      .set({
        name: 'Erased tenant',
        slug: `erased-${tenantId.replace(/^ten_/, '')}`,
        status: 'deleted',
        deletedAt: sql`coalesce(${tenants.deletedAt}, now())`,
        updatedAt: sql`now()`,
      })
      .where(eq(tenants.id, tenantId))
    const id = newId('rcp')
    await tx.insert(erasureReceipts).values({
      id,
      tenantId,
      scope: 'tenant',
      subjectId: tenantId,
      requestId,
      requestedAt: request.createdAt,
      confirmedBy: request.confirmedBy,
      confirmedAt: request.confirmedAt,
      rowCounts: counts,
      kvKeysDeleted,
      objectsDeleted,
      keyDestroyed: true,
    })
    await writeAudit(tx, SYSTEM, null, {
      action: 'tenant.erased',
      tenantId: null,
      target: { type: 'erasure_receipt', id },
      data: { tenant_id: tenantId, request_id: requestId },
    })
    return id
  }, operator)
  if (receiptId)
    log('info', 'tenant erased', {
      tenant_id: tenantId,
      request_id: requestId,
      receipt_id: receiptId,
      kv_keys: kvKeysDeleted,
      objects: objectsDeleted,
    })
}
