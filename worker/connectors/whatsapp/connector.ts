import { unixSeconds } from '../http.ts'
import { graphGet, perNameFallback } from '../meta.ts'
import type { CollectResult, Connector, Point } from '../types.ts'
import { FIELDS, type Field, whatsappCatalog } from './catalog.ts'

type DataPoint = { start: number; end: number } & Record<string, number>

type WabaAnalytics = {
  id: string
  analytics?: { phone_numbers?: string[]; granularity?: string; data_points?: DataPoint[] }
  conversation_analytics?: { data?: { data_points?: DataPoint[] }[] }
}

/** Filters after `.start(..).end(..)`: the two fields spell their daily granularity differently. */
const GRANULARITY: Record<Field, string> = {
  analytics: 'granularity(DAY)',
  conversation_analytics: 'granularity(DAILY).metric_types(["CONVERSATION"])',
}

const dataPoints = (body: WabaAnalytics, field: Field): DataPoint[] =>
  field === 'analytics'
    ? (body.analytics?.data_points ?? [])
    : (body.conversation_analytics?.data ?? []).flatMap((group) => group.data_points ?? [])

/** Buckets follow the WABA's time zone: the bucket's midpoint names its day whatever the offset. */
const bucketDay = (point: DataPoint) =>
  new Date(((point.start + point.end) / 2) * 1000).toISOString().slice(0, 10)

/**
 * WhatsApp Business Cloud API analytics, one WABA per connection (`external_account_id` is the
 * WABA id). Both fields are asked for in one call; a field Graph refuses (error 100) is recorded
 * against its metrics while the other still arrives. System-user tokens do not expire: no refresh.
 */
export const whatsapp: Connector = {
  platform: 'whatsapp',
  catalog: whatsappCatalog,
  maxWindowDays: 90,

  async validate(http, tokens, externalAccountId) {
    const waba = await graphGet<{ id: string; name?: string }>(
      http,
      externalAccountId,
      { fields: 'id,name' },
      tokens.accessToken,
    )
    return { externalAccountId: waba.id, displayName: waba.name ?? waba.id }
  },

  async collect(http, tokens, { externalAccountId, from, to }) {
    const range = `start(${unixSeconds(from)}).end(${unixSeconds(to) + 86_400})`
    const failedFields: CollectResult['failedMetrics'] = []
    const bodies = await perNameFallback(
      Object.keys(FIELDS) as Field[],
      (fields) =>
        graphGet<WabaAnalytics>(
          http,
          externalAccountId,
          { fields: fields.map((field) => `${field}.${range}.${GRANULARITY[field]}`).join(',') },
          tokens.accessToken,
        ),
      failedFields,
    )
    // Data points may come split (by phone number, say): add them up per day and metric.
    const sums = new Map<string, Map<string, number>>()
    for (const body of bodies) {
      for (const field of Object.keys(FIELDS) as Field[]) {
        for (const point of dataPoints(body, field)) {
          const day = bucketDay(point)
          if (day < from || day > to) continue
          for (const [metric, key] of Object.entries(FIELDS[field])) {
            const value = point[key]
            if (typeof value !== 'number') continue
            const perDay = sums.get(metric) ?? new Map<string, number>()
            perDay.set(day, (perDay.get(day) ?? 0) + value)
            sums.set(metric, perDay)
          }
        }
      }
    }
    const points: Point[] = [...sums].flatMap(([metric, perDay]) =>
      [...perDay].map(([periodStart, value]) => ({
        metric,
        granularity: 'day' as const,
        periodStart,
        value,
      })),
    )
    const failedMetrics = failedFields.flatMap((failed) =>
      Object.keys(FIELDS[failed.metric as Field]).map((metric) => ({ metric, reason: failed.reason })),
    )
    return { points, failedMetrics }
  },
}
