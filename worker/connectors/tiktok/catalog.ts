import type { MetricCatalog } from '../types.ts'

/**
 * TikTok Display API metrics as of 2026-11. Video metrics are each video's counts as of the latest
 * run, summed over the videos created that UTC day, so later runs revise them; user stats (scope
 * `user.info.stats`) exist only as current values and are snapshotted daily.
 */
export const tiktokCatalog = {
  version: '2026-11',
  metrics: {
    videos: { aggregation: 'sum', granularity: 'day', description: 'Videos published that day' },
    views: { aggregation: 'sum', granularity: 'day', description: 'Views of that day’s videos (view_count)' },
    likes: { aggregation: 'sum', granularity: 'day', description: 'Likes of that day’s videos (like_count)' },
    comments: {
      aggregation: 'sum',
      granularity: 'day',
      description: 'Comments on that day’s videos (comment_count)',
    },
    shares: {
      aggregation: 'sum',
      granularity: 'day',
      description: 'Shares of that day’s videos (share_count)',
    },
    followers: { aggregation: 'last', granularity: 'lifetime', description: 'Followers (daily snapshot)' },
    following: {
      aggregation: 'last',
      granularity: 'lifetime',
      description: 'Accounts followed (daily snapshot)',
    },
    likes_total: {
      aggregation: 'last',
      granularity: 'lifetime',
      description: 'Likes across all videos (likes_count)',
    },
    videos_total: {
      aggregation: 'last',
      granularity: 'lifetime',
      description: 'Videos published (video_count)',
    },
  },
} as const satisfies MetricCatalog

/** Catalog metric ← field of a `/v2/video/list/` video. */
export const VIDEO_METRICS = {
  views: 'view_count',
  likes: 'like_count',
  comments: 'comment_count',
  shares: 'share_count',
} as const

/** Catalog metric ← field of `/v2/user/info/`. */
export const USER_METRICS = {
  followers: 'follower_count',
  following: 'following_count',
  likes_total: 'likes_count',
  videos_total: 'video_count',
} as const
