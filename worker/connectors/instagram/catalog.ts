import type { MetricCatalog } from '../types.ts'

/**
 * Instagram Graph API account insights as of 2026-11 (`impressions` retired in v22 and for all
 * versions from 2025-04-21; `views` replaces it). Time-series metrics come per day in one call;
 * total-value metrics are asked for one day at a time; followers are snapshotted from the profile.
 */
export const instagramCatalog = {
  version: '2026-11',
  metrics: {
    reach: { aggregation: 'sum', granularity: 'day', description: 'Accounts reached' },
    follower_count: { aggregation: 'sum', granularity: 'day', description: 'New followers that day' },
    views: { aggregation: 'sum', granularity: 'day', description: 'Times content was viewed' },
    likes: { aggregation: 'sum', granularity: 'day', description: 'Likes' },
    comments: { aggregation: 'sum', granularity: 'day', description: 'Comments' },
    shares: { aggregation: 'sum', granularity: 'day', description: 'Shares' },
    saves: { aggregation: 'sum', granularity: 'day', description: 'Saves' },
    total_interactions: {
      aggregation: 'sum',
      granularity: 'day',
      description: 'Likes, comments, shares, saves and replies',
    },
    accounts_engaged: { aggregation: 'sum', granularity: 'day', description: 'Accounts that interacted' },
    followers: { aggregation: 'last', granularity: 'lifetime', description: 'Followers (daily snapshot)' },
  },
} as const satisfies MetricCatalog

/** Asked with `period=day` as a time series. */
export const TIME_SERIES = ['reach', 'follower_count'] as const
/** Asked with `metric_type=total_value`, one day per call. */
export const TOTAL_VALUE = [
  'views',
  'likes',
  'comments',
  'shares',
  'saves',
  'total_interactions',
  'accounts_engaged',
] as const
