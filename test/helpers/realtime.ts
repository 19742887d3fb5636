import { expect } from 'vitest'
import type { WireEvent } from '../../worker/realtime/events.ts'
import type { portalClient } from './portal.ts'
import { TEST_ORIGIN } from './worker.ts'

/** A WebSocket the test holds as a page would: every event it heard, and how it closed. */
export type LivePage = {
  socket: WebSocket
  events: WireEvent[]
  closed: { code: number } | null
  /** The next event not yet taken, or a failure after `timeoutMs`. */
  next(timeoutMs?: number): Promise<WireEvent>
  /** Waits `ms` and says nothing arrived meanwhile (for "must not hear" checks). */
  silentFor(ms: number): Promise<void>
  /** Resolves once the socket is closed, with its close code. */
  whenClosed(timeoutMs?: number): Promise<number>
  close(): void
}

/** Accepts the client end of a 101 answer and records what it hears. */
export function livePage(response: Response): LivePage {
  const socket = response.webSocket
  if (response.status !== 101 || !socket) throw new Error(`expected a WebSocket, got ${response.status}`)
  socket.accept()
  let taken = 0
  const waiters: (() => void)[] = []
  const page: LivePage = {
    socket,
    events: [],
    closed: null,
    async next(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs
      while (page.events.length <= taken) {
        if (Date.now() > deadline) throw new Error(`no event within ${timeoutMs} ms`)
        await new Promise<void>((resolve) => {
          waiters.push(resolve)
          setTimeout(resolve, 50)
        })
      }
      return page.events[taken++] as WireEvent
    },
    async silentFor(ms) {
      const before = page.events.length
      await new Promise((resolve) => setTimeout(resolve, ms))
      expect(page.events.slice(before)).toEqual([])
    },
    async whenClosed(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs
      while (!page.closed) {
        if (Date.now() > deadline) throw new Error(`not closed within ${timeoutMs} ms`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      return page.closed.code
    },
    close() {
      try {
        socket.close(1000, 'test done')
      } catch {
        // Already closed.
      }
    },
  }
  socket.addEventListener('message', (message) => {
    // The runtime's answer to a ping is not an event.
    if (message.data === 'pong') return
    page.events.push(JSON.parse(String(message.data)) as WireEvent)
    for (const wake of waiters.splice(0)) wake()
  })
  socket.addEventListener('close', (event) => {
    page.closed = { code: event.code }
  })
  return page
}

/** The handshake a signed-in page makes to `/app/events` (same origin, WebSocket upgrade). */
export function openEvents(
  browser: ReturnType<typeof portalClient>,
  topics: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return browser.request(`/app/events?topics=${encodeURIComponent(topics)}`, {
    headers: { upgrade: 'websocket', origin: TEST_ORIGIN, ...headers },
  })
}
