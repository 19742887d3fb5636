import { DurableObject } from 'cloudflare:workers'
import { z } from 'zod'
import type { Bindings } from '../env.ts'
import {
  MAX_TOPICS,
  type RealtimeEvent,
  TOPIC_PATTERN,
  topicsOf,
  type WireEvent,
} from '../realtime/events.ts'
import type { EventPublisher } from './ports.ts'

/**
 * What the Worker proved about a page before handing its WebSocket to the tenant's object: whose
 * session it is, which topics it may hear, and until when that decision stands. Kept as the
 * socket's attachment, so it survives hibernation with the socket and no instance field holds it.
 */
export const subscriptionSchema = z.object({
  tenantId: z.string().min(1),
  sessionId: z.string().min(1),
  topics: z.array(z.string().regex(TOPIC_PATTERN)).min(1).max(MAX_TOPICS),
  /** Milliseconds since the epoch; after it the socket is closed instead of told anything. */
  until: z.number().int(),
})
export type Subscription = z.infer<typeof subscriptionSchema>

/** Header carrying the subscription from the Worker to its object (a binding, never the public). */
export const SUBSCRIPTION_HEADER = 'x-integra-subscription'

/**
 * Close code asking the page to connect again at once: its authorization is older than the
 * Worker allows (`until`), so it must prove its session again before it hears anything more.
 */
export const REAUTHENTICATE = 4401

/**
 * One per tenant (`idFromName(tenantId)`): the tenant's members' open pages, as WebSockets
 * accepted through the Hibernation API. Each socket is tagged with its topics, so a publish reaches
 * exactly the subscribed sockets (`getWebSockets(topic)`) and everything a delivery needs (the
 * tenant, the topics, the deadline) is in the socket's tags and attachment: the object may be
 * evicted between two events with no state lost, and while nothing happens it costs nothing. A
 * page's `ping` is answered by the runtime without waking the object.
 */
export class TenantEvents extends DurableObject<Bindings> {
  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env)
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'))
  }

  /** Accepts a page's WebSocket whose subscription the Worker checked (routes/portal/app/events.ts). */
  override async fetch(request: Request): Promise<Response> {
    const parsed = subscriptionSchema.safeParse(safeJson(request.headers.get(SUBSCRIPTION_HEADER)))
    if (!parsed.success || request.headers.get('upgrade')?.toLowerCase() !== 'websocket')
      return new Response(null, { status: 400 })
    const subscription = parsed.data
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket]
    this.ctx.acceptWebSocket(server, [...new Set(subscription.topics), `session:${subscription.sessionId}`])
    server.serializeAttachment(subscription)
    return new Response(null, { status: 101, webSocket: client })
  }

  /**
   * Sends each event once to every socket subscribed to one of its topics, naming only the topics
   * that socket holds. A socket of another tenant (never expected: this object is the tenant's)
   * hears nothing; one past its deadline is closed with REAUTHENTICATE instead. Returns how many
   * sends were made.
   */
  async publish(tenantId: string, events: readonly RealtimeEvent[]): Promise<number> {
    const at = Date.now()
    let sent = 0
    for (const event of events) {
      const listeners = new Set<WebSocket>()
      for (const topic of topicsOf(event))
        for (const socket of this.ctx.getWebSockets(topic)) listeners.add(socket)
      for (const socket of listeners) {
        const subscription = socket.deserializeAttachment() as Subscription | null
        if (!subscription || subscription.tenantId !== tenantId) continue
        if (subscription.until <= at) {
          closeQuietly(socket, REAUTHENTICATE, 'reauthenticate')
          continue
        }
        const topics = topicsOf(event).filter((topic) => subscription.topics.includes(topic))
        const wire: WireEvent = { ...event, topics, at }
        try {
          socket.send(JSON.stringify(wire))
          sent++
        } catch {
          // A socket closing meanwhile: its page reconnects (or has gone) and polls meanwhile.
        }
      }
    }
    return sent
  }

  /** Pages only ping, which the runtime answers; anything else is not part of the protocol. */
  override async webSocketMessage(socket: WebSocket): Promise<void> {
    closeQuietly(socket, 4400, 'pages only ping')
  }

  override async webSocketClose(socket: WebSocket): Promise<void> {
    // Completes the closing handshake the page started.
    closeQuietly(socket, 1000, 'bye')
  }
}

function closeQuietly(socket: WebSocket, code: number, reason: string): void {
  try {
    socket.close(code, reason)
  } catch {
    // Already closed.
  }
}

function safeJson(text: string | null): unknown {
  try {
    return text ? JSON.parse(text) : null
  } catch {
    return null
  }
}

/** The tenant's object: one per tenant, found by name wherever the Worker runs. */
export function tenantEventsOf(namespace: DurableObjectNamespace<TenantEvents>, tenantId: string) {
  return namespace.get(namespace.idFromName(tenantId))
}

/** The EventPublisher of Workers: one RPC call to the tenant's object per publish. */
export function durableObjectEvents(
  namespace: DurableObjectNamespace<TenantEvents> | undefined,
): EventPublisher {
  return {
    async publish(tenantId, events) {
      if (events.length === 0) return
      // The edge ingress (wrangler.ingress.toml) has no such binding and never publishes.
      if (!namespace) throw new Error('TENANT_EVENTS is not bound in this Worker')
      await tenantEventsOf(namespace, tenantId).publish(tenantId, events)
    },
  }
}
