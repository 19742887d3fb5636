import type { Distance } from '../../db/local/bridge.ts'
import type { Figure } from './collection.ts'
import type { SentStatement, WireCount } from './counting-bridge.ts'
import { type LoadRequest, settle } from './load.ts'

/**
 * Round trips per request, and what distance makes of them (issue 19).
 *
 * Waits are counted on the wire by the counting bridge (test/bench/counting-bridge.ts): per
 * WebSocket connection the TCP connect and the upgrade (2 locally; Neon's `wss://` adds TLS, 3),
 * then every wait on Postgres. Latency is measured with distance simulated on both legs: the
 * bridge holds the database's frames for the Worker ↔ database round trip, and this client holds
 * each request for the user ↔ Worker round trip. Two deployment shapes:
 * - edge: the Worker runs near the user (user ↔ Worker ≈ 0), the database is RTT away;
 * - placed: the app Worker runs next to the database (Worker ↔ database ≈ 1 ms) and the user is
 *   RTT away from it; the webhook ingress (verify, enqueue, no SQL) stays at the edge.
 * Latency is fitted as fixed + k × RTT (least squares over the RTTs): k is how many round trips
 * the user waits.
 */

export type DistanceTarget = {
  /** Short kind for the tables: `API read`, `API write`, `portal page`, `login`, `webhook`. */
  kind: string
  name: string
  url: string
  request: LoadRequest
  /** Served by the edge ingress in the placed shape (no SQL): no user ↔ Worker distance there. */
  ingress?: boolean
  /** Goal 3's bound at 150 ms: p50 ≤ `rtts` × 150 ms + the same request's p50 at 0 ms. */
  bound?: { rtts: number }
}

export type Shape = 'edge' | 'placed'
/** Worker ↔ database round trip of a Worker placed in the database's region. */
export const PLACED_DB_RTT_MS = 1

const round = (value: number, decimals = 0) => Math.round(value * 10 ** decimals) / 10 ** decimals
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

/** Least-squares line through (x, y): `fixed + k × x`. */
export function fitLine(points: [number, number][]): { fixed: number; k: number } {
  const n = points.length
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0)
  const sxy = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0)
  const k = sxx === 0 ? 0 : sxy / sxx
  return { fixed: my - k * mx, k }
}

async function send(target: DistanceTarget): Promise<void> {
  const response = await fetch(target.url, {
    method: target.request.method ?? 'GET',
    headers: target.request.headers,
    body: target.request.body,
    redirect: 'manual',
  })
  await response.arrayBuffer()
  if (!response.ok) throw new Error(`${target.name}: ${response.status}`)
}

export type WaitCount = {
  target: DistanceTarget
  statements: number
  connections: number
  /** Postgres waits inside the connections. */
  postgres: number
  /** TCP + upgrade per connection + Postgres waits: what this machine's wire shows. */
  wire: number
  /** With TLS per connection, as Neon's `wss://` adds: the production count. */
  production: number
}

/**
 * One request of each target on its own, after a warm-up one: its statements, connections and
 * waits as the bridge saw them, work left to `waitUntil` included. A small hold keeps a
 * pipelined flight together even when the driver writes it in more than one frame.
 */
export async function countWaits(
  targets: DistanceTarget[],
  bridge: { sent: SentStatement[]; wire: WireCount; distance: Distance },
): Promise<WaitCount[]> {
  const counts: WaitCount[] = []
  const rtt = bridge.distance.rttMs
  bridge.distance.rttMs = 5
  try {
    for (const target of targets) {
      await send(target)
      await settle(bridge.sent)
      const before = { sent: bridge.sent.length, ...bridge.wire }
      await send(target)
      await settle(bridge.sent)
      const connections = bridge.wire.connections - before.connections
      const postgres = bridge.wire.waits - before.waits
      counts.push({
        target,
        statements: bridge.sent.length - before.sent,
        connections,
        postgres,
        wire: 2 * connections + postgres,
        production: 3 * connections + postgres,
      })
    }
  } finally {
    bridge.distance.rttMs = rtt
  }
  return counts
}

export type LatencyRow = {
  target: DistanceTarget
  shape: Shape
  /** p50 in ms per simulated RTT. */
  p50: Map<number, number>
  fit: { fixed: number; k: number }
}

/**
 * p50 of `samples` sequential requests of each target, per shape and RTT. Shapes, RTTs and
 * targets are interleaved within every round (the bridge's hold is set before each request), so
 * a change in the machine's load hits every cell alike instead of one RTT's. Each request's time
 * includes the user ↔ Worker hold.
 */
export async function measureLatency(
  targets: DistanceTarget[],
  distance: Distance,
  options: { rtts: number[]; samples: number; shapes: Shape[] },
): Promise<LatencyRow[]> {
  const times = new Map<string, number[]>()
  const key = (shape: Shape, target: DistanceTarget, rtt: number) => `${shape} ${target.kind} ${rtt}`
  const saved = distance.rttMs
  try {
    for (const target of targets) await send(target)
    for (let i = 0; i < options.samples; i++) {
      for (const shape of options.shapes) {
        for (const rtt of options.rtts) {
          distance.rttMs = shape === 'edge' ? rtt : PLACED_DB_RTT_MS
          for (const target of targets) {
            const userRtt = shape === 'placed' && !target.ingress ? rtt : 0
            const started = performance.now()
            await sleep(userRtt)
            await send(target)
            const cell = key(shape, target, rtt)
            times.set(cell, [...(times.get(cell) ?? []), performance.now() - started])
          }
        }
      }
    }
  } finally {
    distance.rttMs = saved
  }
  return options.shapes.flatMap((shape) =>
    targets.map((target) => {
      const p50 = new Map(options.rtts.map((rtt) => [rtt, median(times.get(key(shape, target, rtt)) ?? [])]))
      return { target, shape, p50, fit: fitLine([...p50]) }
    }),
  )
}

/**
 * The waits table and the distance table as benchmark figures. Goal 3's bounds are targets for
 * the production shape (`production`); for the other shape they are only shown.
 */
export function distanceFigures(
  waits: WaitCount[],
  latency: LatencyRow[],
  rtts: number[],
  production: Shape,
): Figure[] {
  const figures: Figure[] = []
  for (const count of waits) {
    const { kind, name } = count.target
    figures.push({
      figure: `waits ${kind} ${name}: ${count.statements} statements, ${count.connections} connection(s); on this wire ${count.wire} (TCP + upgrade + Postgres ${count.postgres}), production adds TLS`,
      value: count.production,
      unit: 'waits',
      target: 'info',
      pass: true,
    })
  }
  const far = Math.max(...rtts)
  for (const row of latency) {
    const { kind } = row.target
    const label = `distance ${row.shape} ${kind}`
    const at = rtts.map((rtt) => `${rtt} ms: ${round(row.p50.get(rtt) ?? Number.NaN)}`).join(', ')
    const wait = waits.find((count) => count.target === row.target)
    figures.push({
      figure: `${label}: p50 by RTT (${at}); fixed ${round(row.fit.fixed)} ms + k × RTT, k (${wait?.production ?? '?'} waits)`,
      value: round(row.fit.k, 2),
      unit: 'k',
      target: 'info',
      pass: true,
    })
    const bound = row.target.bound
    if (bound && far > 0) {
      const local = row.p50.get(0)
      const p50 = row.p50.get(far)
      const limit = (local ?? 0) + bound.rtts * far
      const met = p50 !== undefined && local !== undefined && p50 <= limit
      const checked = row.shape === production
      figures.push({
        figure: `${label}: p50 at ${far} ms ≤ ${bound.rtts} × ${far} + its p50 at 0 ms (${round(local ?? Number.NaN)} ms)${checked ? '' : `: ${met ? 'met' : 'not met'}, not the production shape`}`,
        value: round(p50 ?? Number.NaN),
        unit: 'ms',
        target: checked ? `≤ ${round(limit)}` : 'info',
        pass: !checked || met,
      })
    }
  }
  return figures
}
