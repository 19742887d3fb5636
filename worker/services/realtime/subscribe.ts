import { and, eq } from 'drizzle-orm'
import { attendanceConversations, type Module, outboundMessages } from '../../../db/schema/index.ts'
import { authorize, type Permission } from '../../auth/permissions.ts'
import { ApiError, invalidField, notFound } from '../../errors.ts'
import { TOPIC_PATTERN, type TopicKind } from '../../realtime/events.ts'
import type { ServiceContext } from '../context.ts'
import { checkModule } from '../licensing.ts'

type TopicRule = {
  /** What the member must be allowed to read to hear the topic. */
  permission: Permission
  /** The module the tenant's plan must include (none: a platform topic). */
  module?: Module
  /** For `kind:id`: the id's prefix and whether such a thing of the tenant exists. */
  item?: { prefix: string; exists: (ctx: ServiceContext, id: string) => Promise<boolean> }
}

/**
 * Who may hear what: one rule per topic kind, the same permission (and module) as the API that
 * reads what the topic is about. A module adds its kinds here and in `realtime/events.ts`
 * (the inbox: `inbox` and `conversation:<id>`, permission and module `attendance`).
 */
const TOPIC_RULES: Record<TopicKind, TopicRule> = {
  messages: { permission: 'messages.read' },
  orders: { permission: 'commerce.read', module: 'commerce' },
  message: {
    permission: 'messages.read',
    item: {
      prefix: 'msg',
      exists: async ({ tx, principal }, id) =>
        (
          await tx
            .select({ id: outboundMessages.id })
            .from(outboundMessages)
            .where(
              and(eq(outboundMessages.id, id), eq(outboundMessages.tenantId, principal.tenantId as string)),
            )
        ).length > 0,
    },
  },
  // The attendance inbox: its list, and one conversation (the API's permission and module).
  inbox: { permission: 'attendance.read', module: 'attendance' },
  conversation: {
    permission: 'attendance.read',
    module: 'attendance',
    item: {
      prefix: 'cnv',
      exists: async ({ tx, principal }, id) =>
        (
          await tx
            .select({ id: attendanceConversations.id })
            .from(attendanceConversations)
            .where(
              and(
                eq(attendanceConversations.id, id),
                eq(attendanceConversations.tenantId, principal.tenantId as string),
              ),
            )
        ).length > 0,
    },
  },
  // Scheduling's day and week views: the API's read permission and module.
  schedule: { permission: 'scheduling.read', module: 'scheduling' },
}

const badTopic = () => invalidField('topics', 'Not a topic a page can subscribe to.')

/**
 * Decides a page's subscription, in the request's transaction (which has just confirmed the
 * session): only a signed-in member, only their own tenant, and each topic only with the
 * permission and module of what it is about; a topic naming another tenant's thing is 404 like
 * one that does not exist. Returns what the tenant's object keeps with the socket.
 */
export async function authorizeSubscription(ctx: ServiceContext, input: { topics: readonly string[] }) {
  const { principal } = ctx
  if (principal.kind !== 'member')
    throw new ApiError(403, 'FORBIDDEN', 'Only a signed-in member of a tenant receives live updates.')
  const topics = [...new Set(input.topics)]
  for (const topic of topics) {
    const [, kind, id] = TOPIC_PATTERN.exec(topic) ?? []
    const rule = kind ? TOPIC_RULES[kind as TopicKind] : undefined
    if (!rule || Boolean(id) !== Boolean(rule.item)) throw badTopic()
    authorize(principal, rule.permission)
    if (rule.module) checkModule(ctx.modules, rule.module)
    if (rule.item && id) {
      if (!id.startsWith(`${rule.item.prefix}_`)) throw badTopic()
      if (!(await rule.item.exists(ctx, id))) throw notFound(kind as string)
    }
  }
  return { tenantId: principal.tenantId, sessionId: principal.sessionId, topics }
}
