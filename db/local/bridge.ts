import net from 'node:net'
import { WebSocketServer } from 'ws'

/**
 * What one connection's observer sees: every frame the client sends (as it reaches the bridge,
 * before it goes on to Postgres) and every frame of the server's as the bridge hands it to the
 * client (after any simulated distance). The benchmark counts statements and waits this way.
 */
export type FrameObserver = {
  client?: (frame: Buffer) => void
  server?: (frame: Buffer) => void
}

/**
 * Simulated distance between the Worker and the database, read at every connection and frame
 * (so a benchmark can change it between runs): the server's frames are held `rttMs` before the
 * client gets them, one round trip per wait, and the WebSocket upgrade is answered after
 * `handshakeRoundTrips × rttMs` (TCP, TLS and the upgrade of Neon's `wss://`: 3).
 */
export type Distance = { rttMs: number; handshakeRoundTrips: number }

/**
 * A Neon-protocol WebSocket bridge: the Neon driver's `Pool` speaks the Postgres wire protocol
 * inside binary WebSocket frames to `ws://HOST:PORT/v1?address=PGHOST:PGPORT` (the protocol of
 * Neon's wsproxy). This lets the Worker reach a plain local Postgres with the production driver.
 * Only loopback targets are accepted.
 *
 * `observe`, when given, is called once per connection and returns that connection's observer.
 */
export async function startBridge(options: {
  port: number
  host?: string
  observe?: () => FrameObserver
  distance?: Distance
}): Promise<{
  port: number
  close: () => Promise<void>
}> {
  const distance = options.distance
  const server = new WebSocketServer({
    host: options.host ?? '127.0.0.1',
    port: options.port,
    path: '/v1',
    // The upgrade's answer waits out the simulated connection set-up.
    verifyClient: (_info, done) => {
      const ms = distance ? distance.rttMs * distance.handshakeRoundTrips : 0
      if (ms > 0) setTimeout(() => done(true), ms)
      else done(true)
    },
  })
  server.on('connection', (ws, request) => {
    const address = new URL(request.url ?? '', 'http://bridge').searchParams.get('address') ?? ''
    const match = /^(127\.0\.0\.1|localhost):(\d{1,5})$/.exec(address)
    if (!match) {
      ws.close(1008, 'address not allowed')
      return
    }
    const socket = net.connect({ host: '127.0.0.1', port: Number(match[2]) })
    const observer = options.observe?.()
    const pending: Buffer[] = []
    let connected = false
    // Held frames leave in order: each is due no earlier than the one before it.
    let lastDue = 0
    const later = (work: () => void) => {
      const rtt = distance?.rttMs ?? 0
      if (rtt <= 0 && lastDue <= performance.now()) return work()
      lastDue = Math.max(performance.now() + rtt, lastDue)
      setTimeout(work, Math.max(0, lastDue - performance.now()))
    }
    socket.on('connect', () => {
      connected = true
      for (const chunk of pending) socket.write(chunk)
      pending.length = 0
    })
    ws.on('message', (data: Buffer) => {
      observer?.client?.(data)
      if (connected) socket.write(data)
      else pending.push(data)
    })
    socket.on('data', (data) =>
      later(() => {
        if (ws.readyState !== ws.OPEN) return
        observer?.server?.(data)
        ws.send(data, { binary: true })
      }),
    )
    // terminate() rather than close(): a clean close handshake after the TCP side is gone
    // surfaces in workerd as an unhandled "Network connection lost". After the held frames.
    socket.on('close', () => later(() => ws.terminate()))
    socket.on('error', () => later(() => ws.terminate()))
    ws.on('close', () => socket.destroy())
    ws.on('error', () => socket.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : options.port
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate()
        server.close(() => resolve())
      }),
  }
}
