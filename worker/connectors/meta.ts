import { type CollectResult, ConnectorError, type PlatformHttp, type Point } from './types.ts'

/** Graph API version used by the Instagram, Facebook and WhatsApp connectors. */
export const GRAPH_VERSION = 'v23.0'

const THROTTLE_CODES = new Set([4, 17, 32, 613])
const isThrottle = (code: number) => THROTTLE_CODES.has(code) || (code >= 80001 && code <= 80014)

type GraphError = { error?: { message?: string; code?: number; error_subcode?: number; type?: string } }

/**
 * Meta promises no Retry-After: the wait comes from `X-Business-Use-Case-Usage`
 * (`estimated_time_to_regain_access`, minutes) or, failing that, a usage-scaled default.
 */
export function metaRetryAfterSeconds(response: Response): number {
  const buc = response.headers.get('x-business-use-case-usage')
  if (buc) {
    try {
      const usage = JSON.parse(buc) as Record<string, { estimated_time_to_regain_access?: number }[]>
      const minutes = Math.max(
        0,
        ...Object.values(usage)
          .flat()
          .map((entry) => entry.estimated_time_to_regain_access ?? 0),
      )
      if (minutes > 0) return minutes * 60
    } catch {}
  }
  const app = response.headers.get('x-app-usage')
  if (app) {
    try {
      const usage = JSON.parse(app) as { call_count?: number; total_time?: number; total_cputime?: number }
      const peak = Math.max(usage.call_count ?? 0, usage.total_time ?? 0, usage.total_cputime ?? 0)
      return peak >= 100 ? 15 * 60 : 5 * 60
    } catch {}
  }
  return 5 * 60
}

/**
 * Classifies a Graph API error: 190 (and 401s) → token_invalid; throttling codes → throttled with
 * the header-derived wait; 5xx → transient; anything else → permanent (e.g. 100, a bad metric).
 */
export async function metaError(response: Response): Promise<ConnectorError> {
  const body = (await response.json().catch(() => ({}))) as GraphError
  const code = body.error?.code ?? 0
  const message = body.error?.message ?? `HTTP ${response.status}`
  const platformCode = String(code || response.status)
  if (code === 190 || response.status === 401) {
    return new ConnectorError('token_invalid', `the platform rejected the token (${message})`, {
      platformCode,
    })
  }
  if (isThrottle(code) || response.status === 429) {
    return new ConnectorError('throttled', `rate limited by the platform (${message})`, {
      platformCode,
      retryAfterSeconds: metaRetryAfterSeconds(response),
    })
  }
  if (response.status >= 500)
    return new ConnectorError('transient', `platform error ${response.status}`, { platformCode })
  return new ConnectorError('permanent', message, { platformCode })
}

/** GET a Graph path with the token in the query (Graph's documented way), JSON or a classified error. */
export async function graphGet<T>(
  http: PlatformHttp,
  path: string,
  params: Record<string, string>,
  token: string,
): Promise<T> {
  const query = new URLSearchParams({ ...params, access_token: token })
  const response = await http.fetch(`${GRAPH_VERSION}/${path}?${query}`)
  if (!response.ok) throw await metaError(response)
  return (await response.json()) as T
}

/**
 * Asks for several names (insight metrics, node fields) in one call; when Graph refuses the whole
 * call for one bad name (error 100 for a retired metric, the first complaint about peer products),
 * asks one name at a time so the others still arrive, and records the names that fail on their
 * own. Token, throttling and server errors are not about one name: they propagate.
 */
export async function perNameFallback<N extends string, T>(
  names: readonly N[],
  request: (names: readonly N[]) => Promise<T>,
  failed: CollectResult['failedMetrics'],
): Promise<T[]> {
  if (names.length === 0) return []
  try {
    return [await request(names)]
  } catch (error) {
    if (!(error instanceof ConnectorError) || error.kind !== 'permanent') throw error
    if (names.length === 1) {
      failed.push({ metric: names[0] as N, reason: error.message })
      return []
    }
    const results: T[] = []
    for (const name of names) results.push(...(await perNameFallback([name], request, failed)))
    return results
  }
}

/** One metric of a Graph `/{object}/insights` answer (Instagram accounts, Facebook Pages). */
export type Insight = {
  name: string
  values?: { value: number; end_time: string }[]
  total_value?: { value: number }
}

/** Graph's `end_time` closes the day it reports (the next midnight Pacific): step back to that UTC date. */
const insightDay = (endTime: string) => new Date(Date.parse(endTime) - 86_400_000).toISOString().slice(0, 10)

/** `GET /{object}/insights` for several metrics, through {@link perNameFallback}. */
export async function graphInsights(
  http: PlatformHttp,
  objectId: string,
  metrics: readonly string[],
  params: Record<string, string>,
  token: string,
  failed: CollectResult['failedMetrics'],
): Promise<Insight[]> {
  const bodies = await perNameFallback(
    metrics,
    (names) =>
      graphGet<{ data: Insight[] }>(
        http,
        `${objectId}/insights`,
        { ...params, metric: names.join(',') },
        token,
      ),
    failed,
  )
  return bodies.flatMap((body) => body.data)
}

/** The daily values of insights (`period=day`) as points, only for the days from `from` to `to`. */
export function dailyPoints(insights: Insight[], from: string, to: string): Point[] {
  return insights.flatMap((insight) =>
    (insight.values ?? []).flatMap((value): Point[] => {
      const day = insightDay(value.end_time)
      return day >= from && day <= to
        ? [{ metric: insight.name, granularity: 'day', periodStart: day, value: value.value }]
        : []
    }),
  )
}

/**
 * Only the current follower count exists (Instagram accounts, Facebook Pages): when a run reaches
 * today, it is snapshotted as today's lifetime `followers` point so growth can be charted.
 */
export async function followersSnapshot(
  http: PlatformHttp,
  objectId: string,
  to: string,
  token: string,
): Promise<Point[]> {
  const today = new Date().toISOString().slice(0, 10)
  if (to < today) return []
  const node = await graphGet<{ followers_count?: number }>(
    http,
    objectId,
    { fields: 'followers_count' },
    token,
  )
  return typeof node.followers_count === 'number'
    ? [{ metric: 'followers', granularity: 'lifetime', periodStart: today, value: node.followers_count }]
    : []
}
