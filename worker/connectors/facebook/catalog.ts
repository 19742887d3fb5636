import type { MetricCatalog } from '../types.ts'

/**
 * Facebook Page insights as of 2026-11. Retired and never asked for: `page_impressions` (now
 * `page_media_view`), the `page_impressions_unique` family (now `page_total_media_view_unique`),
 * `page_fans` (now `page_follows`), all gone by 2025-11-15. Daily series come with `period=day`
 * over at most 90 days per request; followers are snapshotted from the Page's `followers_count`.
 */
export const facebookCatalog = {
  version: '2026-11',
  metrics: {
    page_media_view: { aggregation: 'sum', granularity: 'day', description: 'Times Page content was viewed' },
    page_total_media_view_unique: {
      aggregation: 'sum',
      granularity: 'day',
      description: 'People who viewed Page content that day',
    },
    page_post_engagements: {
      aggregation: 'sum',
      granularity: 'day',
      description: 'Reactions, comments, shares and clicks on posts',
    },
    page_daily_follows: { aggregation: 'sum', granularity: 'day', description: 'New follows that day' },
    page_follows: {
      aggregation: 'last',
      granularity: 'day',
      description: 'Page follows at the end of the day',
    },
    followers: { aggregation: 'last', granularity: 'lifetime', description: 'Followers (daily snapshot)' },
  },
} as const satisfies MetricCatalog

/** Asked with `period=day` as one time series call per window. */
export const DAILY = [
  'page_media_view',
  'page_total_media_view_unique',
  'page_post_engagements',
  'page_daily_follows',
  'page_follows',
] as const
