import { and, desc, eq, sql } from 'drizzle-orm'
import { newId } from '../../../db/ids.ts'
import { connections, consents } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { ApiError, invalidField, notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, byCreatedAt, cutPage, sortKey } from '../keyset.ts'
import type { ConsentPurpose } from './processing-records.ts'

export type ConsentInput = {
  subject: 'tenant' | 'connection'
  subjectId?: string
  purpose: ConsentPurpose
  policyVersion: string
  granted: boolean
}

const PUBLIC_COLUMNS = {
  id: consents.id,
  subject: consents.subject,
  subjectId: consents.subjectId,
  purpose: consents.purpose,
  policyVersion: consents.policyVersion,
  granted: consents.granted,
  actorId: consents.actorId,
  ip: consents.ip,
  userAgent: consents.userAgent,
  createdAt: consents.createdAt,
}

/** What the caller can do with what was collected while consent was granted. */
export type PurgeOffer = { method: 'DELETE'; href: string; description: string }

/**
 * Appends a consent record (the table is append-only: the latest record per subject and purpose
 * is the current state). Collection is gated on it at once: the cron fan-out and the consumer
 * read the latest record in the same SQL predicate. A revocation of `metrics_collection` answers
 * with where to purge what was already collected.
 */
export async function recordConsent(ctx: ServiceContext, input: ConsentInput) {
  authorize(ctx.principal, 'privacy.manage')
  const tenantId = ctx.principal.tenantId
  let subjectId = tenantId
  if (input.subject === 'tenant') {
    // Only the caller's own tenant exists for it: any other id reads as unknown.
    if (input.subjectId !== undefined && input.subjectId !== tenantId) throw notFound('tenant')
  } else {
    if (!input.subjectId)
      throw invalidField('json.subject_id', 'required when subject is connection (a con_… id)')
    const [connection] = await ctx.tx
      .select({ id: connections.id, status: connections.status })
      .from(connections)
      .where(and(eq(connections.id, input.subjectId), eq(connections.tenantId, tenantId)))
    if (!connection) throw notFound('connection')
    if (input.granted && connection.status === 'disconnected') {
      throw new ApiError(
        409,
        'CONNECTION_DISCONNECTED',
        'This connection was removed; connect the account again to collect from it.',
      )
    }
    subjectId = connection.id
  }
  const [record] = await ctx.tx
    .insert(consents)
    .values({
      id: newId('cns'),
      tenantId,
      subject: input.subject,
      subjectId,
      purpose: input.purpose,
      policyVersion: input.policyVersion,
      granted: input.granted,
      actorId: ctx.principal.id,
      ip: ctx.meta.ip,
      userAgent: ctx.meta.userAgent?.slice(0, 400) ?? null,
    })
    .returning(PUBLIC_COLUMNS)
  if (!record) throw new Error('insert returned no row')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: input.granted ? 'consent.granted' : 'consent.revoked',
    tenantId,
    target: { type: 'consent', id: record.id },
    data: {
      subject: input.subject,
      subject_id: subjectId,
      purpose: input.purpose,
      policy_version: input.policyVersion,
    },
  })
  return { consent: record, purge: purgeOffer(input, subjectId) }
}

function purgeOffer(input: ConsentInput, subjectId: string): PurgeOffer | null {
  if (input.granted || input.purpose !== 'metrics_collection') return null
  return input.subject === 'connection'
    ? {
        method: 'DELETE',
        href: `/api/v1/connections/${subjectId}?purge_metrics=true`,
        description: 'Removes the connection, its tokens and every metric point collected from it.',
      }
    : {
        method: 'DELETE',
        href: '/api/v1/privacy/metrics',
        description: 'Deletes every metric point collected for the tenant; connections stay.',
      }
}

export type ConsentQuery = {
  limit: number
  cursor?: string
  subject?: 'tenant' | 'connection'
  subjectId?: string
  purpose?: string
}

/**
 * The current state (latest record per subject and purpose) and one page of the history, newest
 * first. Without a tenant-level record the tenant has not objected: the gate reads that as granted.
 */
export async function listConsents(ctx: ServiceContext, input: ConsentQuery) {
  authorize(ctx.principal, 'privacy.manage')
  const tenantId = ctx.principal.tenantId
  const filters = and(
    eq(consents.tenantId, tenantId),
    input.subject ? eq(consents.subject, input.subject) : undefined,
    input.subjectId ? eq(consents.subjectId, input.subjectId) : undefined,
    input.purpose ? eq(consents.purpose, input.purpose) : undefined,
  )
  // With the connection's label, so people see which account a consent is for (null for the
  // tenant, and for a connection erased since).
  const current = await ctx.tx
    .selectDistinctOn([consents.subject, consents.subjectId, consents.purpose], {
      ...PUBLIC_COLUMNS,
      subjectLabel: connections.label,
    })
    .from(consents)
    .leftJoin(
      connections,
      and(
        eq(consents.subject, 'connection'),
        eq(connections.id, consents.subjectId),
        eq(connections.tenantId, consents.tenantId),
      ),
    )
    .where(filters)
    .orderBy(
      consents.subject,
      consents.subjectId,
      consents.purpose,
      desc(consents.createdAt),
      desc(consents.id),
    )
  const rows = await ctx.tx
    .select({ ...PUBLIC_COLUMNS, sortKey: sortKey(consents.createdAt) })
    .from(consents)
    .where(and(filters, afterCursor(byCreatedAt(consents, 'cns'), input.cursor, 'desc')))
    .orderBy(desc(consents.createdAt), desc(consents.id))
    .limit(input.limit + 1)
  const history = cutPage(rows, input.limit)
  const tenantDefault = !current.some((c) => c.subject === 'tenant' && c.purpose === 'metrics_collection')
  return {
    current,
    /** True when no tenant-level `metrics_collection` record exists yet (collection allowed). */
    tenantCollectionByDefault: tenantDefault && (!input.subject || input.subject === 'tenant'),
    history,
  }
}

/** Metric points of the whole tenant, deleted on request (typically after revoking consent). */
export async function purgeTenantMetrics(ctx: ServiceContext) {
  authorize(ctx.principal, 'privacy.manage')
  const tenantId = ctx.principal.tenantId
  const deleted = await ctx.tx.execute<{ n: number }>(sql`
    with gone as (delete from metric_points where tenant_id = ${tenantId} returning 1)
    select count(*)::int as n from gone`)
  const metricPoints = deleted.rows[0]?.n ?? 0
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'metrics.purged',
    tenantId,
    target: { type: 'tenant', id: tenantId },
    data: { metric_points: metricPoints },
  })
  return { metricPoints }
}
