import { type SQL, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import type { Platform } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { decodeCursor, encodeCursor, invalidCursor } from '../../http.ts'
import type { ServiceContext } from '../context.ts'
import { type MetricFilters, pointScope } from './filters.ts'

export type RawPoint = {
  period_start: string
  connection_id: string
  platform: Platform
  label: string | null
  metric: string
  granularity: 'day' | 'lifetime'
  value: number
  collected_at: string
}

/** The sort key of a point, which is also its primary key: unique, so no page repeats or skips a row. */
export type PointKey = readonly [
  periodStart: string,
  connectionId: string,
  metric: string,
  granularity: string,
]

export const keyOf = (point: RawPoint): PointKey => [
  point.period_start,
  point.connection_id,
  point.metric,
  point.granularity,
]

/**
 * One page of raw points in key order `(period_start, connection_id, metric, granularity)`,
 * strictly after `after`. A keyset page: a point inserted meanwhile lands before or after the
 * cursor, so it is either never seen or seen once, and no existing point moves between pages.
 * Shared by the paginated list and the export.
 */
export function pageSql(
  tenantId: string,
  filters: MetricFilters,
  after: PointKey | null,
  limit: number,
): SQL {
  // The page is cut from metric_points alone, in the order of its (tenant_id, period_start)
  // index, so Postgres can stop after `limit` rows; only those are joined to their connection.
  return sql`
    select to_char(p.period_start, 'YYYY-MM-DD') as period_start, p.connection_id, c.platform, c.label,
      p.metric, p.granularity, p.value,
      to_char(p.collected_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as collected_at
    from (
      select * from metric_points p
      where ${pointScope(tenantId, filters)}
        ${after ? sql`and (p.period_start, p.connection_id, p.metric, p.granularity) > (${after[0]}::date, ${after[1]}, ${after[2]}, ${after[3]})` : sql``}
      order by p.period_start, p.connection_id, p.metric, p.granularity
      limit ${limit}
    ) p
    join connections c on c.id = p.connection_id and c.tenant_id = ${tenantId}
    order by p.period_start, p.connection_id, p.metric, p.granularity`
}

export async function pointsPage(
  tx: Tx,
  tenantId: string,
  filters: MetricFilters,
  after: PointKey | null,
  limit: number,
): Promise<RawPoint[]> {
  return (await tx.execute<RawPoint>(pageSql(tenantId, filters, after, limit))).rows
}

/** A real calendar date `YYYY-MM-DD` (so a forged cursor cannot reach Postgres as a bad date). */
const isDate = (text: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(text) &&
  new Date(Date.parse(`${text}T00:00:00Z`) || 0).toISOString().startsWith(text)

function decodePointCursor(cursor: string | undefined): PointKey | null {
  const key = decodeCursor(cursor, 4)
  if (!key) return null
  const [periodStart, connectionId, metric, granularity] = key
  if (
    typeof periodStart !== 'string' ||
    !isDate(periodStart) ||
    typeof connectionId !== 'string' ||
    typeof metric !== 'string' ||
    typeof granularity !== 'string'
  )
    throw invalidCursor()
  return [periodStart, connectionId, metric, granularity]
}

/** `GET /metrics/points`: raw points, paginated with a cursor stable under concurrent inserts. */
export async function listPoints(
  ctx: ServiceContext,
  input: MetricFilters & { limit: number; cursor?: string },
) {
  authorize(ctx.principal, 'metrics.read')
  const rows = await pointsPage(
    ctx.tx,
    ctx.principal.tenantId,
    input,
    decodePointCursor(input.cursor),
    input.limit + 1,
  )
  const page = rows.slice(0, input.limit)
  const last = page.at(-1)
  return {
    data: page.map(({ label: _, ...point }) => point),
    nextCursor: rows.length > input.limit && last ? encodeCursor(keyOf(last)) : null,
  }
}
