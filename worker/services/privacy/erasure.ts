import { and, desc, eq, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { onUniqueViolation } from '../../../db/errors.ts'
import { newId } from '../../../db/ids.ts'
import { connections, erasureReceipts, erasureRequests, tenants } from '../../../db/schema/index.ts'
import { authorize, authorizeOperator } from '../../auth/permissions.ts'
import type { Services } from '../../env.ts'
import { ApiError, notFound } from '../../errors.ts'
import type { JobOf } from '../../jobs/messages.ts'
import { log } from '../../log.ts'
import type { KeyValueStore } from '../../runtime/ports.ts'
import { Vault } from '../../vault/vault.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, cutPage, sortKey } from '../keyset.ts'
import { exportPrefix } from './exports.ts'

/**
 * Tables with a tenant_id that outlive the tenant's erasure: the receipt, and the data key's
 * tombstone (no key material left) that keeps a destroyed key from ever being recreated.
 */
export const ERASURE_SURVIVORS: ReadonlySet<string> = new Set(['erasure_receipts', 'tenant_keys'])
/** Immutable for the application role: removed through `privacy_erase_consents` (migration 0011). */
const FUNCTION_ONLY: ReadonlySet<string> = new Set(['consents'])
/** The largest tables, deleted in committed batches first so a retried job resumes where it was. */
const BATCHED_TABLES = ['metric_points', 'collection_runs'] as const
export const ERASURE_BATCH_ROWS = 5000

/** Every KV key of the tenant's vault (or of one owner, e.g. a connection): see `kvKeyOf`. */
export const vaultPrefix = (tenantId: string, ownerId?: string) =>
  ownerId ? `vault/${tenantId}/${ownerId}/` : `vault/${tenantId}/`

const erasureRequested = () =>
  new ApiError(409, 'ERASURE_ALREADY_REQUESTED', 'An erasure of this tenant is already requested.')
const ERASURE_CONFLICTS = { erasure_requests_one_open_key: erasureRequested }

const REQUEST_COLUMNS = {
  id: erasureRequests.id,
  tenantId: erasureRequests.tenantId,
  status: erasureRequests.status,
  requestedByType: erasureRequests.requestedByType,
  requestedBy: erasureRequests.requestedBy,
  confirmedBy: erasureRequests.confirmedBy,
  createdAt: erasureRequests.createdAt,
  confirmedAt: erasureRequests.confirmedAt,
}

// ---------------------------------------------------------------------------------------------
// Requests and confirmation

/** The owner asks for the whole tenant to be erased; an operator confirms (LGPD Art. 18 VI). */
export async function requestTenantErasure(ctx: ServiceContext) {
  authorize(ctx.principal, 'privacy.erase_tenant')
  const tenantId = ctx.principal.tenantId
  const [request] = await ctx.tx
    .insert(erasureRequests)
    .values({ id: newId('era'), tenantId, requestedByType: 'member', requestedBy: ctx.principal.id })
    .returning(REQUEST_COLUMNS)
    .catch(onUniqueViolation(ERASURE_CONFLICTS))
  if (!request) throw new Error('insert returned no row')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'erasure.requested',
    tenantId,
    target: { type: 'erasure_request', id: request.id },
  })
  return request
}

export async function listOwnErasureRequests(ctx: ServiceContext) {
  authorize(ctx.principal, 'privacy.erase_tenant')
  return ctx.tx
    .select(REQUEST_COLUMNS)
    .from(erasureRequests)
    .where(eq(erasureRequests.tenantId, ctx.principal.tenantId))
    .orderBy(desc(erasureRequests.createdAt))
}

/** Open requests of every tenant, newest first, with the tenant's slug and name (operators). */
export async function listErasureRequests(ctx: ServiceContext, input: { limit: number; cursor?: string }) {
  authorizeOperator(ctx.principal)
  const rows = await ctx.tx
    .select({
      ...REQUEST_COLUMNS,
      tenantSlug: tenants.slug,
      tenantName: tenants.name,
      sortKey: sortKey(erasureRequests.createdAt),
    })
    .from(erasureRequests)
    .innerJoin(tenants, eq(tenants.id, erasureRequests.tenantId))
    .where(afterCursor(erasureRequests, input.cursor, 'desc'))
    .orderBy(desc(erasureRequests.createdAt), desc(erasureRequests.id))
    .limit(input.limit + 1)
  return cutPage(rows, input.limit)
}

/** Confirms an owner's request: the tenant stops at once (deleted, sessions ended), the job erases. */
export async function confirmErasure(ctx: ServiceContext, requestId: string) {
  authorizeOperator(ctx.principal)
  const [request] = await ctx.tx
    .select(REQUEST_COLUMNS)
    .from(erasureRequests)
    .where(eq(erasureRequests.id, requestId))
    .for('update')
  if (!request) throw notFound('erasure request')
  if (request.status !== 'pending')
    throw new ApiError(409, 'ERASURE_ALREADY_CONFIRMED', 'This erasure is already confirmed and under way.')
  const [confirmed] = await ctx.tx
    .update(erasureRequests)
    .set({ status: 'confirmed', confirmedBy: ctx.principal.id, confirmedAt: ctx.now })
    .where(eq(erasureRequests.id, requestId))
    .returning(REQUEST_COLUMNS)
  await startErasure(ctx, request.tenantId, requestId, 'erasure.confirmed')
  return confirmed ?? request
}

/** An operator's own erasure of a tenant: requested and confirmed in one step. */
export async function eraseTenantByOperator(ctx: ServiceContext, input: { tenantId: string }) {
  authorizeOperator(ctx.principal)
  const [tenant] = await ctx.tx
    .select({ id: tenants.id })
    .from(tenants)
    .where(eq(tenants.id, input.tenantId))
    .for('update')
  if (!tenant) throw notFound('tenant')
  const [erased] = await ctx.tx
    .select({ id: erasureReceipts.id })
    .from(erasureReceipts)
    .where(and(eq(erasureReceipts.tenantId, input.tenantId), eq(erasureReceipts.scope, 'tenant')))
  if (erased) throw new ApiError(409, 'TENANT_ERASED', 'This tenant was already erased.')
  const [request] = await ctx.tx
    .insert(erasureRequests)
    .values({
      id: newId('era'),
      tenantId: input.tenantId,
      status: 'confirmed',
      requestedByType: 'operator',
      requestedBy: ctx.principal.id,
      confirmedBy: ctx.principal.id,
      confirmedAt: ctx.now,
    })
    .returning(REQUEST_COLUMNS)
    .catch(onUniqueViolation(ERASURE_CONFLICTS))
  if (!request) throw new Error('insert returned no row')
  await startErasure(ctx, input.tenantId, request.id, 'erasure.started')
  return request
}

/**
 * Stops the tenant (status `deleted`: no collection, no sign-in, no API key) and queues the job.
 * The audit row has no tenant: it must outlive the erasure, and names only ids.
 */
async function startErasure(ctx: ServiceContext, tenantId: string, requestId: string, action: string) {
  await ctx.tx
    .update(tenants)
    .set({
      status: 'deleted',
      deletedAt: sql`coalesce(${tenants.deletedAt}, ${ctx.now})`,
      updatedAt: ctx.now,
    })
    .where(eq(tenants.id, tenantId))
  await ctx.tx.execute(sql`
    update sessions set revoked_at = ${ctx.now}, revoked_reason = 'tenant_erased'
    where tenant_id = ${tenantId} and revoked_at is null`)
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action,
    tenantId: null,
    target: { type: 'erasure_request', id: requestId },
    data: { tenant_id: tenantId },
  })
  await ctx.services.jobs.send({ type: 'privacy.erase', v: 1, tenantId, requestId })
}

export async function listErasureReceipts(
  ctx: ServiceContext,
  input: { limit: number; cursor?: string; tenantId?: string },
) {
  authorizeOperator(ctx.principal)
  const columns = { createdAt: erasureReceipts.completedAt, id: erasureReceipts.id }
  const rows = await ctx.tx
    .select({
      id: erasureReceipts.id,
      tenantId: erasureReceipts.tenantId,
      scope: erasureReceipts.scope,
      subjectId: erasureReceipts.subjectId,
      requestId: erasureReceipts.requestId,
      requestedAt: erasureReceipts.requestedAt,
      confirmedBy: erasureReceipts.confirmedBy,
      confirmedAt: erasureReceipts.confirmedAt,
      rowCounts: erasureReceipts.rowCounts,
      kvKeysDeleted: erasureReceipts.kvKeysDeleted,
      objectsDeleted: erasureReceipts.objectsDeleted,
      keyDestroyed: erasureReceipts.keyDestroyed,
      completedAt: erasureReceipts.completedAt,
      sortKey: sortKey(erasureReceipts.completedAt),
    })
    .from(erasureReceipts)
    .where(
      and(
        input.tenantId ? eq(erasureReceipts.tenantId, input.tenantId) : undefined,
        afterCursor(columns, input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(erasureReceipts.completedAt), desc(erasureReceipts.id))
    .limit(input.limit + 1)
  return cutPage(rows, input.limit)
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
 * Erases one connection at once (owner or admin): its rows in every table that has a
 * connection_id, its consent records, the connection, and its vault entries in KV. The receipt
 * stays with the tenant.
 */
export async function eraseConnection(ctx: ServiceContext, connectionId: string) {
  authorize(ctx.principal, 'privacy.manage')
  const tenantId = ctx.principal.tenantId
  const [connection] = await ctx.tx
    .select({ id: connections.id, platform: connections.platform })
    .from(connections)
    .where(and(eq(connections.id, connectionId), eq(connections.tenantId, tenantId)))
    .for('update')
  if (!connection) throw notFound('connection')
  const counts: Record<string, number> = {}
  for (const table of await tablesWith(ctx.tx, ['tenant_id', 'connection_id']))
    counts[table] = await deleteWhere(
      ctx.tx,
      table,
      sql`tenant_id = ${tenantId} and connection_id = ${connectionId}`,
    )
  counts.consents = await eraseConsents(ctx.tx, tenantId, connectionId)
  counts.connections = await deleteWhere(
    ctx.tx,
    'connections',
    sql`tenant_id = ${tenantId} and id = ${connectionId}`,
  )
  const kvKeysDeleted = await deleteKeys(ctx.services.tokens, vaultPrefix(tenantId, connectionId))
  const [receipt] = await ctx.tx
    .insert(erasureReceipts)
    .values({
      id: newId('rcp'),
      tenantId,
      scope: 'connection',
      subjectId: connectionId,
      requestedAt: ctx.now,
      rowCounts: counts,
      kvKeysDeleted,
      keyDestroyed: false,
    })
    .returning()
  if (!receipt) throw new Error('insert returned no row')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'connection.erased',
    tenantId,
    target: { type: 'connection', id: connectionId },
    data: { platform: connection.platform, receipt_id: receipt.id, row_counts: counts },
  })
  return receipt
}

/**
 * The `privacy.erase` job: the largest tables in committed batches (progress kept on the
 * request, so a retry resumes), then the KV entries and export archives, then one transaction
 * that destroys the data key, deletes every remaining row of every tenant table, leaves an
 * anonymous tombstone of the tenant and writes the receipt. A redelivery after that finds no
 * request and does nothing.
 */
export async function runTenantErasure(job: JobOf<'privacy.erase'>, services: Services): Promise<void> {
  const { db } = services
  const { tenantId, requestId } = job
  const operator = { operator: true }
  const thisRequest = and(eq(erasureRequests.id, requestId), eq(erasureRequests.tenantId, tenantId))
  const [request] = await db.transaction(
    (tx) => tx.select().from(erasureRequests).where(thisRequest),
    operator,
  )
  if (request?.status !== 'confirmed') {
    log('info', 'erasure skipped: no confirmed request', { request_id: requestId, tenant_id: tenantId })
    return
  }
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
  const kvKeysDeleted = (progress['kv:keys'] ?? 0) + kvKeys
  const objectsDeleted = (progress['r2:objects'] ?? 0) + objects.length
  progress['kv:keys'] = kvKeysDeleted
  progress['r2:objects'] = objectsDeleted
  await db.transaction(saveProgress, operator)

  const receiptId = await db.transaction(async (tx) => {
    // A concurrent delivery of the same job waits here, then finds the request gone.
    const [locked] = await tx
      .select({ id: erasureRequests.id })
      .from(erasureRequests)
      .where(thisRequest)
      .for('update')
    if (!locked) return null
    const counts: Record<string, number> = {}
    for (const table of BATCHED_TABLES) counts[table] = progress[table] ?? 0
    // Login attempts are keyed by a hash of the e-mail: found through the members, before they go.
    counts.login_attempts = await deleteWhere(
      tx,
      'login_attempts',
      sql`account_key in (select encode(sha256(convert_to(lower(email), 'UTF8')), 'hex') from users where tenant_id = ${tenantId})`,
    )
    counts.job_dead_letters = await deleteWhere(tx, 'job_dead_letters', sql`body->>'tenantId' = ${tenantId}`)
    // First, so the vault removes the copies it registered (edge copies) while it still can.
    await new Vault(tx, services.tokens, services.config.VAULT_MASTER_KEYS).destroyTenantKey(tenantId)
    counts.consents = await eraseConsents(tx, tenantId, null)
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
    await writeAudit(tx, { type: 'system', id: null }, null, {
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
