import { PLATFORMS, type Platform } from '../../../db/schema/index.ts'
import { connectors } from '../../connectors/index.ts'
import type { Aggregation } from '../../connectors/types.ts'

/** One metric of one platform's catalog, as the read queries join it (`json_to_recordset`). */
export type CatalogEntry = {
  platform: Platform
  metric: string
  granularity: 'day' | 'lifetime'
  aggregation: Aggregation
}

/**
 * Every metric of every connector's current catalog. The connectors are the one source: a
 * platform without a connector yet simply has no metrics to read.
 */
export const CATALOG: readonly CatalogEntry[] = PLATFORMS.flatMap((platform) =>
  Object.entries(connectors[platform]?.catalog.metrics ?? {}).map(([metric, spec]) => ({
    platform,
    metric,
    granularity: spec.granularity,
    aggregation: spec.aggregation,
  })),
)

export const KNOWN_METRICS: ReadonlySet<string> = new Set(CATALOG.map((entry) => entry.metric))

/** The catalog entries a read covers: the asked-for platforms and metrics (all when not asked). */
export function catalogFor(platforms: readonly Platform[] | null, metrics: readonly string[] | null) {
  return CATALOG.filter(
    (entry) =>
      (!platforms || platforms.includes(entry.platform)) && (!metrics || metrics.includes(entry.metric)),
  )
}

/** Metrics that no catalog of the given platforms (any platform when none) defines. */
export function metricsOutside(platforms: readonly Platform[] | null, metrics: readonly string[]): string[] {
  const covered = new Set(catalogFor(platforms, metrics).map((entry) => entry.metric))
  return metrics.filter((metric) => !covered.has(metric))
}

export const KPIS = ['followers', 'reach', 'views', 'interactions', 'conversations', 'messages'] as const
export type Kpi = (typeof KPIS)[number]

/**
 * Which catalog metrics feed each KPI card, per platform. `followers` is a stock (the last
 * snapshot); the others are flows summed over the days of the period and over the listed
 * metrics. Instagram's `total_interactions` already adds likes, comments, shares, saves and
 * replies, so its parts are not added again. A KPI a platform does not measure is left out
 * (its card reads null).
 */
export const KPI_METRICS: Record<Platform, Partial<Record<Kpi, readonly string[]>>> = {
  instagram: {
    followers: ['followers'],
    reach: ['reach'],
    views: ['views'],
    interactions: ['total_interactions'],
  },
  facebook: {
    followers: ['followers'],
    reach: ['page_total_media_view_unique'],
    views: ['page_media_view'],
    interactions: ['page_post_engagements'],
  },
  x: {
    followers: ['followers'],
    views: ['impressions'],
    interactions: ['likes', 'reposts', 'replies', 'quotes', 'bookmarks'],
  },
  tiktok: {
    followers: ['followers'],
    views: ['views'],
    interactions: ['likes', 'comments', 'shares'],
  },
  // A WhatsApp Business Account has no audience or views: its cards are conversations opened and
  // messages sent, the figures the explorer shows for it.
  whatsapp: {
    conversations: ['conversations'],
    messages: ['messages_sent'],
  },
}

/** The KPI map joined by the summary query, restricted to metrics the current catalogs define. */
export function kpiEntries(platforms: readonly Platform[] | null) {
  return catalogFor(platforms, null).flatMap((entry) =>
    KPIS.filter((kpi) => KPI_METRICS[entry.platform][kpi]?.includes(entry.metric)).map((kpi) => ({
      ...entry,
      kpi,
    })),
  )
}
