import type { MetricCatalog } from '../types.ts'

/**
 * X API v2 metrics as of 2026-11. Post metrics are each post's `public_metrics` as of the latest
 * run, summed over the posts created that UTC day (reposts of others excluded), so later runs
 * revise them; user metrics exist only as current values and are snapshotted daily. Exported on its
 * own so per-tenant switches (X is pay-per-use) can list what turning X off gives up.
 */
export const xCatalog = {
  version: '2026-11',
  metrics: {
    posts: { aggregation: 'sum', granularity: 'day', description: 'Posts published that day' },
    impressions: {
      aggregation: 'sum',
      granularity: 'day',
      description: 'Impressions of the posts published that day (impression_count)',
    },
    likes: { aggregation: 'sum', granularity: 'day', description: 'Likes of that day’s posts (like_count)' },
    reposts: {
      aggregation: 'sum',
      granularity: 'day',
      description: 'Reposts of that day’s posts (retweet_count)',
    },
    replies: {
      aggregation: 'sum',
      granularity: 'day',
      description: 'Replies to that day’s posts (reply_count)',
    },
    quotes: {
      aggregation: 'sum',
      granularity: 'day',
      description: 'Quotes of that day’s posts (quote_count)',
    },
    bookmarks: {
      aggregation: 'sum',
      granularity: 'day',
      description: 'Bookmarks of that day’s posts (bookmark_count)',
    },
    followers: { aggregation: 'last', granularity: 'lifetime', description: 'Followers (daily snapshot)' },
    following: {
      aggregation: 'last',
      granularity: 'lifetime',
      description: 'Accounts followed (daily snapshot)',
    },
    posts_total: {
      aggregation: 'last',
      granularity: 'lifetime',
      description: 'Posts ever published (tweet_count)',
    },
    listed: { aggregation: 'last', granularity: 'lifetime', description: 'Lists that include the account' },
  },
} as const satisfies MetricCatalog

/** Catalog metric ← key of a post's `public_metrics`. */
export const POST_METRICS = {
  impressions: 'impression_count',
  likes: 'like_count',
  reposts: 'retweet_count',
  replies: 'reply_count',
  quotes: 'quote_count',
  bookmarks: 'bookmark_count',
} as const

/** Catalog metric ← key of the user's `public_metrics`. */
export const USER_METRICS = {
  followers: 'followers_count',
  following: 'following_count',
  posts_total: 'tweet_count',
  listed: 'listed_count',
} as const
