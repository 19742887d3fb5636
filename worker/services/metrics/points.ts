import { type SQL, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { GRANULARITIES, type Platform } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import type { ServiceContext } from '../context.ts'
import { decodeCursor, key, nextPage, pastKey } from '../keyset.ts'
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

const POINT_KEY = [
  key.date(sql`p.period_start`),
  key.id(sql`p.connection_id`, 'con'),
  key.text(sql`p.metric`),
  key.oneOf(sql`p.granularity`, GRANULARITIES),
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
        ${after ? sql`and ${pastKey(POINT_KEY, after, 'asc')}` : sql``}
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

const decodePointCursor = (cursor: string | undefined) =>
  decodeCursor(
    cursor,
    POINT_KEY.map((k) => k.kind),
  ) as PointKey | null

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
  const page = nextPage(rows, input.limit, keyOf)
  return { ...page, data: page.data.map(({ label: _, ...point }) => point) }
}
