import { z } from 'zod'
import { ApiError, invalidField } from '../../../errors.ts'
import { csrfRefused } from '../../../middleware/portal-csrf.ts'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { MAX_TOPICS, TOPIC_PATTERN } from '../../../realtime/events.ts'
import { SUBSCRIPTION_HEADER, type Subscription, tenantEventsOf } from '../../../runtime/tenant-events.ts'
import { authorizeSubscription } from '../../../services/realtime/subscribe.ts'

/**
 * How long a page's subscription stands: after it the tenant's object closes the socket instead
 * of delivering (REAUTHENTICATE) and the page connects again, proving its session anew, so a
 * revoked session or a lowered role stops hearing events within this time.
 */
export const SUBSCRIPTION_SECONDS = 5 * 60

const topicsQuery = z.object({
  topics: z
    .string()
    .max(600)
    .transform((value) => value.split(','))
    .pipe(z.array(z.string().regex(TOPIC_PATTERN)).min(1).max(MAX_TOPICS)),
})

/**
 * `GET /app/events?topics=messages,message:msg_…`: a signed-in member's page opens its WebSocket
 * here (portal/public/js/live.js). The same checks as every portal page (the session cookie,
 * confirmed in a transaction), plus the page's origin (a WebSocket handshake is not covered by
 * CORS, so another site must not open one with the member's cookie); the topics are decided by
 * `authorizeSubscription`, and the socket goes to the member's own tenant's object only.
 */
export function registerPortalEvents(portal: PortalApp) {
  portal.get('/app/events', async (c) => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket')
      throw new ApiError(426, 'UPGRADE_REQUIRED', 'This address only accepts WebSocket connections.', {
        headers: { Upgrade: 'websocket' },
      })
    // The Deno entry has no Durable Objects: its pages poll (live.js falls back on any refusal).
    if (!c.env.TENANT_EVENTS)
      throw new ApiError(503, 'REALTIME_UNAVAILABLE', 'Live updates are not available on this server.')
    if (c.req.header('origin') !== new URL(c.req.url).origin) throw csrfRefused()
    const credential = c.var.caller.credential
    if (credential?.kind !== 'token' || credential.principal.kind !== 'member')
      throw new ApiError(401, 'UNAUTHENTICATED', 'Sign in to receive live updates.')
    const query = topicsQuery.safeParse(c.req.query())
    if (!query.success) throw invalidField('topics', 'Between 1 and 8 topics, separated by commas.')
    const allowed = await c.var.caller.run((ctx) => authorizeSubscription(ctx, { topics: query.data.topics }))
    const subscription: Subscription = { ...allowed, until: Date.now() + SUBSCRIPTION_SECONDS * 1000 }
    const answer = await tenantEventsOf(c.env.TENANT_EVENTS, allowed.tenantId).fetch(
      'https://tenant-events/connect',
      { headers: { upgrade: 'websocket', [SUBSCRIPTION_HEADER]: JSON.stringify(subscription) } },
    )
    // A fresh Response: the middleware around this handler adds its headers to it.
    return new Response(null, { status: answer.status, webSocket: answer.webSocket })
  })
}
