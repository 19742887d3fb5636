import type { Services } from '../../runtime/ports.ts'
import { publishEvents } from '../realtime/publish.ts'

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
 * its transaction by the webhook job, so nothing is announced that could still roll back. On the
 * tenant's live channel each becomes a `conversation.changed` signal (topics `inbox` and
 * `conversation:<id>`): the inbox pages then read their fragment again through the verbs. Never
 * throws (see `publishEvents`); pages that miss one poll.
 */
export async function publishAttendanceEvents(
  services: Services,
  tenantId: string,
  events: readonly AttendanceEvent[],
): Promise<void> {
  if (events.length === 0) return
  const conversations = [...new Set(events.map((event) => event.conversationId))]
  await publishEvents(
    services,
    tenantId,
    conversations.map((conversationId) => ({ type: 'conversation.changed', conversationId })),
  )
}
