import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import type { Point } from '../../connectors/types.ts'

/**
 * Upserts a run's points in ONE statement: the rows travel as one JSON parameter expanded
 * server-side by json_to_recordset (no per-row statements, no parameter limit), conflicts on
 * (connection, metric, granularity, day) overwrite the value. Re-collecting a day or redelivering a
 * message therefore gives identical rows, never duplicates.
 */
export async function upsertPoints(
  tx: Tx,
  tenantId: string,
  connectionId: string,
  points: Point[],
): Promise<number> {
  if (points.length === 0) return 0
  // The last value wins when a batch repeats a key (Postgres refuses to update a row twice).
  const unique = new Map<string, Point>()
  for (const point of points) unique.set(`${point.metric}|${point.granularity}|${point.periodStart}`, point)
  const rows = [...unique.values()]
  await tx.execute(sql`
    insert into metric_points (tenant_id, connection_id, metric, granularity, period_start, value, collected_at)
    select ${tenantId}, ${connectionId}, r.m, r.g, r.d::date, r.v, now()
    from json_to_recordset(${JSON.stringify(rows.map((p) => ({ m: p.metric, g: p.granularity, d: p.periodStart, v: p.value })))}::json)
      as r(m text, g text, d text, v float8)
    on conflict (connection_id, metric, granularity, period_start)
    do update set value = excluded.value, collected_at = excluded.collected_at`)
  return rows.length
}
