import type { MessageStatus, OrderStatus } from '../../db/schema/index.ts'

/**
 * What a signed-in page can be told in real time: small signals, never content. A page that hears
 * one asks the server for its fragment again (htmx), so what it then shows is rendered for the
 * viewer (language, time zone, permissions) by the same handler as the first paint, and nothing a
 * member may not read ever travels through the channel. One union for every module, like the job
 * messages (`worker/jobs/messages.ts`): the attendance inbox, scheduling and commerce add theirs here.
 */
export type RealtimeEvent =
  /** An outbound message (the messaging outbox) was stored or moved to a new status. */
  | { type: 'message.status'; messageId: string; status: MessageStatus }
  /** Commerce: an order was placed or moved to a new status (the orders board refreshes). */
  | { type: 'commerce.order'; orderId: string; status: OrderStatus }
  /** An attendance conversation changed: a message in or out, a note, its status or assignee. */
  | { type: 'conversation.changed'; conversationId: string }
  /** Scheduling: an appointment was booked, moved, or changed status (the day view refreshes). */
  | { type: 'schedule.changed'; appointmentId: string }

/**
 * Topics a page subscribes to. A topic is its kind, optionally `:` and the id of one thing of the
 * tenant (e.g. `message:msg_…`; later `inbox` and `conversation:cnv_…`). Which member may
 * subscribe to what is decided in `worker/services/realtime/subscribe.ts`.
 */
export const TOPIC_KINDS = ['messages', 'message', 'orders', 'inbox', 'conversation', 'schedule'] as const
export type TopicKind = (typeof TOPIC_KINDS)[number]

/** `kind` or `kind:id`, ids as the API shows them (prefix, underscore, lowercase base32). */
export const TOPIC_PATTERN = /^([a-z]+)(?::([a-z]{2,4}_[0-9a-z]{1,40}))?$/

/** The topics an event is delivered to: a page subscribed to any of them hears it. */
export function topicsOf(event: RealtimeEvent): string[] {
  switch (event.type) {
    case 'message.status':
      return ['messages', `message:${event.messageId}`]
    case 'commerce.order':
      return ['orders']
    case 'conversation.changed':
      return ['inbox', `conversation:${event.conversationId}`]
    case 'schedule.changed':
      return ['schedule']
  }
}

/**
 * What travels to a page: the event, the topics of it the page subscribed to (its htmx triggers
 * are named after them: `live:<topic>`), and when it was published (milliseconds since the epoch).
 */
export type WireEvent = RealtimeEvent & { topics: string[]; at: number }

/** Most topics one page may hold: a WebSocket carries at most 10 tags, one is its session's. */
export const MAX_TOPICS = 8
