import { log } from '../../log.ts'
import type { Services } from '../../runtime/ports.ts'

/**
 * The attendance module's live events: what an open inbox page must learn without a reload. They
 * carry ids and states only, never a message's text (a page that gets one fetches what it shows
 * through the verbs, which check the viewer's permission).
 */
export type AttendanceEvent =
  | { type: 'message.created'; conversationId: string; messageId: string; direction: 'in' | 'out' | 'note' }
  | { type: 'message.status'; conversationId: string; messageId: string; status: string }
  | { type: 'conversation.updated'; conversationId: string; status: string; assigneeId: string | null }

/** The per-tenant topic the inbox pages subscribe to. */
export const ATTENDANCE_TOPIC = 'attendance'

/**
 * Publishes events of a committed change: called through `ctx.afterCommit` by the verbs, and after
 * its transaction by the webhook job, so nothing is announced that could still roll back.
 *
 * The transport is a seam: the per-tenant live channel (`publishEvents`,
 * worker/services/realtime/publish.ts) carries one union of events (`RealtimeEvent`,
 * worker/realtime/events.ts) to topics whose subscription is authorized per kind. Wiring these
 * means adding them to that union with topics (`inbox`, `conversation:cnv_…`) readable with
 * `attendance.read`, and calling `publishEvents` here. Until then only their count is logged and
 * pages poll their fragment every 15 seconds, which is also the fallback when the channel is down.
 */
export async function publishAttendanceEvents(
  _services: Services,
  tenantId: string,
  events: readonly AttendanceEvent[],
): Promise<void> {
  if (events.length === 0) return
  log('info', 'attendance events', { tenant_id: tenantId, topic: ATTENDANCE_TOPIC, count: events.length })
}
