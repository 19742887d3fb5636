import { type Distance, startBridge } from '../../db/local/bridge.ts'

/** One statement the Worker sent: `Q` (simple query: BEGIN, COMMIT…) or `E` (an executed prepared one). */
export type SentStatement = { kind: 'Q' | 'E'; text: string }

/**
 * Counted on the wire since the bridge started: WebSocket connections opened and the waits on
 * Postgres inside them. A wait is one round trip the client could not avoid: it sent, then had to
 * hear from the server before sending again (its next frame follows a server frame, or the
 * answer to its last one ends the exchange). Pipelined messages in one flight are one wait.
 */
export type WireCount = { connections: number; waits: number }

/**
 * The Neon-protocol WebSocket bridge of db/local/bridge.ts with a reader of the Postgres
 * frontend messages going through it: every statement the Worker (in workerd, through the real
 * Neon driver) sends is recorded, so the benchmark counts statements per request exactly as the
 * driver-level count of test/api/metrics/security.test.ts does, from outside the runtime; and
 * every wait is counted from the frames' order (`wire`). `distance` holds the server's frames
 * for a simulated round trip and can be changed between runs.
 */
export async function startCountingBridge(): Promise<{
  wsProxy: string
  sent: SentStatement[]
  wire: WireCount
  distance: Distance
  close: () => Promise<void>
}> {
  const sent: SentStatement[] = []
  const wire: WireCount = { connections: 0, waits: 0 }
  const distance: Distance = { rttMs: 0, handshakeRoundTrips: 3 }
  const bridge = await startBridge({
    port: 0,
    distance,
    observe: () => {
      wire.connections++
      const read = frontendReader(sent)
      // Set when the client has sent something the server has not answered yet.
      let unanswered = false
      return {
        client: (frame) => {
          read(frame)
          unanswered = true
        },
        server: () => {
          if (!unanswered) return
          unanswered = false
          wire.waits++
        },
      }
    },
  })
  return { wsProxy: `127.0.0.1:${bridge.port}/v1`, sent, wire, distance, close: bridge.close }
}

/**
 * Splits the client's byte stream into messages: the untyped startup message first, then
 * `type, int32 length, payload`. Parse (`P`) remembers a statement's text by name, Bind (`B`)
 * says which statement the next Execute (`E`) runs, Query (`Q`) is a statement on its own.
 */
function frontendReader(sent: SentStatement[]): (chunk: Buffer) => void {
  let buffer = Buffer.alloc(0)
  let started = false
  const parsed = new Map<string, string>()
  let bound = ''
  const cString = (payload: Buffer, from: number): [string, number] => {
    const end = payload.indexOf(0, from)
    return [payload.toString('utf8', from, end), end + 1]
  }
  return (chunk) => {
    buffer = Buffer.concat([buffer, chunk])
    for (;;) {
      if (!started) {
        if (buffer.length < 4) return
        const length = buffer.readInt32BE(0)
        if (buffer.length < length) return
        buffer = buffer.subarray(length)
        started = true
        continue
      }
      if (buffer.length < 5) return
      const type = String.fromCharCode(buffer[0] as number)
      const length = buffer.readInt32BE(1)
      if (buffer.length < 1 + length) return
      const payload = buffer.subarray(5, 1 + length)
      buffer = buffer.subarray(1 + length)
      if (type === 'Q') sent.push({ kind: 'Q', text: cString(payload, 0)[0] })
      else if (type === 'P') {
        const [name, next] = cString(payload, 0)
        parsed.set(name, cString(payload, next)[0])
      } else if (type === 'B') {
        const [, next] = cString(payload, 0)
        bound = cString(payload, next)[0]
      } else if (type === 'E') sent.push({ kind: 'E', text: parsed.get(bound) ?? '' })
    }
  }
}
