import type { Platform } from '../../db/schema/index.ts'

/** One normalized value: a metric for a UTC day (or a lifetime total snapshotted on that day). */
export type Point = {
  metric: string
  granularity: 'day' | 'lifetime'
  /** UTC date, `YYYY-MM-DD`. */
  periodStart: string
  value: number
}

export type Tokens = {
  accessToken: string
  refreshToken?: string | null
  expiresAt?: Date | null
}

export type Profile = { externalAccountId: string; displayName: string }

/** How a metric rolls up over days: flows add up, stocks (followers) keep the last value. */
export type Aggregation = 'sum' | 'last'

export type MetricCatalog = {
  /** Bumped whenever a platform renames or retires a metric. */
  version: string
  metrics: Record<string, { aggregation: Aggregation; granularity: 'day' | 'lifetime'; description: string }>
}

export type FailureKind = 'token_invalid' | 'throttled' | 'transient' | 'permanent'

/**
 * A classified platform failure. The pipeline acts on `kind` only: token_invalid → the connection
 * needs reconnecting (no retry); throttled/transient → retry after `retryAfterSeconds` or backoff;
 * permanent → recorded, not retried.
 */
export class ConnectorError extends Error {
  readonly kind: FailureKind
  readonly retryAfterSeconds?: number
  readonly platformCode?: string
  constructor(
    kind: FailureKind,
    message: string,
    options: { retryAfterSeconds?: number; platformCode?: string } = {},
  ) {
    super(message)
    this.name = 'ConnectorError'
    this.kind = kind
    this.retryAfterSeconds = options.retryAfterSeconds
    this.platformCode = options.platformCode
  }
}

/** Outbound HTTP for connectors: base URL per platform, timeout and call counting built in. */
export type PlatformHttp = {
  baseUrl: string
  fetch(path: string, init?: RequestInit): Promise<Response>
  /** API calls made so far through this client. */
  readonly calls: number
}

export type CollectResult = {
  points: Point[]
  /** Metrics that failed on their own (e.g. retired names) while the others were collected. */
  failedMetrics: { metric: string; reason: string }[]
}

export interface Connector {
  platform: Platform
  catalog: MetricCatalog
  /** The longest date range one collection request may cover (Facebook: 90 days). */
  maxWindowDays: number
  /** Checks the token with a profile call; throws ConnectorError('token_invalid') when it does not work. */
  validate(http: PlatformHttp, tokens: Tokens, externalAccountId: string): Promise<Profile>
  /** Collects every catalog metric for [from, to] (UTC dates, inclusive). */
  collect(
    http: PlatformHttp,
    tokens: Tokens,
    input: { externalAccountId: string; from: string; to: string },
  ): Promise<CollectResult>
  /** Exchanges a refresh token (or a long-lived token) for new tokens, where the platform allows. */
  refresh?(
    http: PlatformHttp,
    tokens: Tokens,
    app: { clientId: string; clientSecret: string },
  ): Promise<Tokens>
  /** Refresh this long before expiry. */
  refreshLeadSeconds?: number
}
