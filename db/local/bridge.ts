import net from 'node:net'
import { WebSocketServer } from 'ws'

/**
 * A Neon-protocol WebSocket bridge: the Neon driver's `Pool` speaks the Postgres wire protocol
 * inside binary WebSocket frames to `ws://HOST:PORT/v1?address=PGHOST:PGPORT` (the protocol of
 * Neon's wsproxy). This lets the Worker reach a plain local Postgres with the production driver.
 * Only loopback targets are accepted.
 *
 * `observe`, when given, is called once per connection; the function it returns sees every frame
 * the client sends, before it goes on to Postgres (the benchmark counts statements this way).
 */
export async function startBridge(options: {
  port: number
  host?: string
  observe?: () => (frame: Buffer) => void
}): Promise<{
  port: number
  close: () => Promise<void>
}> {
  const server = new WebSocketServer({ host: options.host ?? '127.0.0.1', port: options.port, path: '/v1' })
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
    socket.on('connect', () => {
      connected = true
      for (const chunk of pending) socket.write(chunk)
      pending.length = 0
    })
    ws.on('message', (data: Buffer) => {
      observer?.(data)
      if (connected) socket.write(data)
      else pending.push(data)
    })
    socket.on('data', (data) => {
      if (ws.readyState === ws.OPEN) ws.send(data, { binary: true })
    })
    // terminate() rather than close(): a clean close handshake after the TCP side is gone
    // surfaces in workerd as an unhandled "Network connection lost".
    socket.on('close', () => ws.terminate())
    socket.on('error', () => ws.terminate())
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
