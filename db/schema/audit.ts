import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core'

export const ACTOR_TYPES = ['operator', 'member', 'api_key', 'system', 'billing', 'anonymous'] as const

/**
 * Who did what, written in the same transaction as the change. Row-level security applies:
 * tenants see their own rows; central-only actions (tenant_id null) are visible to operators.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id'),
    actorType: text('actor_type', { enum: ACTOR_TYPES }).notNull(),
    actorId: text('actor_id'),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    requestId: text('request_id'),
    data: jsonb('data').$type<Record<string, unknown>>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('audit_log_tenant_id_idx').on(t.tenantId, t.createdAt),
    index('audit_log_created_at_idx').on(t.createdAt),
    // "What did this person do": the audit filters by actor (admin central and tenant audit).
    index('audit_log_actor_id_idx').on(t.actorId, t.createdAt),
  ],
)
