import { and, asc, between, eq, inArray } from 'drizzle-orm'
import {
  connections,
  META_WEBHOOK_PLATFORMS,
  type MetaWebhookPlatform,
  metaWebhookCounters,
} from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import type { ServiceContext } from '../context.ts'
import type { MetricFilters } from './filters.ts'

export type WebhookCounter = {
  day: string
  platform: MetaWebhookPlatform
  accountId: string
  /** The connection whose platform account the events came to; null when none is connected. */
  connectionId: string | null
  /** WhatsApp: the business phone number; null for Instagram. */
  phoneNumberId: string | null
  metric: string
  /** WhatsApp: Meta's pricing category, or `all` for every message of the status. */
  pricingCategory: string
  value: number
}

/**
 * The daily counters the Meta webhooks feed (WhatsApp statuses per phone number and pricing
 * category, Instagram comments and mentions), for the caller's tenant and period, with the
 * connection each account belongs to. Filters by connection and platform like the other reads
 * (a platform without webhooks, or another tenant's connection id, just matches nothing).
 */
export async function readWebhookCounters(
  ctx: ServiceContext,
  filters: Omit<MetricFilters, 'metrics'>,
): Promise<{ from: string; to: string; data: WebhookCounter[] }> {
  authorize(ctx.principal, 'metrics.read')
  const tenantId = ctx.principal.tenantId
  const platforms = filters.platforms?.filter((platform): platform is MetaWebhookPlatform =>
    (META_WEBHOOK_PLATFORMS as readonly string[]).includes(platform),
  )
  // Only platforms Meta sends webhooks for have counters (asking for X alone finds none).
  if (platforms?.length === 0) return { from: filters.from, to: filters.to, data: [] }
  const counter = metaWebhookCounters
  const rows = await ctx.tx
    .select({
      day: counter.day,
      platform: counter.platform,
      accountId: counter.accountId,
      connectionId: connections.id,
      phoneNumberId: counter.phoneNumberId,
      metric: counter.metric,
      pricingCategory: counter.pricingCategory,
      value: counter.value,
    })
    .from(counter)
    // One connection per (tenant, platform, account): connections_account_key.
    .leftJoin(
      connections,
      and(
        eq(connections.tenantId, counter.tenantId),
        eq(connections.platform, counter.platform),
        eq(connections.externalAccountId, counter.accountId),
      ),
    )
    .where(
      and(
        eq(counter.tenantId, tenantId),
        between(counter.day, filters.from, filters.to),
        platforms ? inArray(counter.platform, platforms) : undefined,
        filters.connectionIds ? inArray(connections.id, [...filters.connectionIds]) : undefined,
      ),
    )
    .orderBy(
      asc(counter.day),
      asc(counter.platform),
      asc(counter.accountId),
      asc(counter.phoneNumberId),
      asc(counter.metric),
      asc(counter.pricingCategory),
    )
  return {
    from: filters.from,
    to: filters.to,
    data: rows.map((row) => ({ ...row, phoneNumberId: row.phoneNumberId || null })),
  }
}
