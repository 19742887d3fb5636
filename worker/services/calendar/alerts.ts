import { eq, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { calendarAlertSettings } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import type { JobOf } from '../../jobs/messages.ts'
import type { Services } from '../../runtime/ports.ts'
import { type SecretRef, Vault } from '../../vault/vault.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { insertOutboundMessage, queueSends } from '../messaging/outbox.ts'

/** The vault owner of a tenant's Telegram bot token. */
export const ALERTS_OWNER = 'calendar-alerts'
const botTokenRef = (tenantId: string): SecretRef => ({
  tenantId,
  ownerId: ALERTS_OWNER,
  purpose: 'bot_token',
})

/** Where alerts go; the bot token is never shown again, only whether it is set. */
export async function getAlertSettings(ctx: ServiceContext) {
  authorize(ctx.principal, 'calendar.read')
  const [row] = await ctx.tx
    .select({ chatId: calendarAlertSettings.telegramChatId, updatedAt: calendarAlertSettings.updatedAt })
    .from(calendarAlertSettings)
    .where(eq(calendarAlertSettings.tenantId, ctx.principal.tenantId))
  return {
    telegramChatId: row?.chatId ?? null,
    telegramBotTokenSet: Boolean(row),
    updatedAt: row?.updatedAt ?? null,
  }
}

/**
 * Sets the Telegram bot token (to the vault, as the next version) and chat id (to Postgres).
 * Audited without the token.
 */
export async function saveAlertSettings(ctx: ServiceContext, input: { botToken: string; chatId: string }) {
  authorize(ctx.principal, 'calendar.manage')
  const tenantId = ctx.principal.tenantId
  const [saved] = await ctx.tx
    .insert(calendarAlertSettings)
    .values({ tenantId, telegramChatId: input.chatId, updatedBy: ctx.principal.id })
    .onConflictDoUpdate({
      target: calendarAlertSettings.tenantId,
      set: {
        telegramChatId: input.chatId,
        version: sql`${calendarAlertSettings.version} + 1`,
        updatedBy: ctx.principal.id,
        updatedAt: ctx.now,
      },
    })
    .returning({ version: calendarAlertSettings.version })
  const version = saved?.version ?? 1
  const vault = new Vault(ctx.tx, ctx.services.tokens, ctx.services.config.VAULT_MASTER_KEYS)
  await vault.put(botTokenRef(tenantId), input.botToken, version)
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: version === 1 ? 'calendar.alerts_configured' : 'calendar.alerts_changed',
    tenantId,
    target: { type: 'tenant', id: tenantId },
    data: { version, telegram_chat_id: input.chatId },
  })
  return getAlertSettings(ctx)
}

type AlertRow = {
  id: string
  property_name: string
  overlap_start: string
  overlap_end: string
  severity: string
  channels: string[]
  chat_id: string
  version: number
}

const SEVERITY_LABEL: Record<string, string> = {
  critical: 'CRITICAL: double booking',
  warning: 'Warning: a block overlaps a stay',
  info: 'Info: duplicate stay on one channel',
}

/** The message: property, severity, channels and nights; never a guest's name. */
export function alertText(
  row: Pick<AlertRow, 'property_name' | 'overlap_start' | 'overlap_end' | 'severity' | 'channels'>,
) {
  return [
    `${SEVERITY_LABEL[row.severity] ?? row.severity} at ${row.property_name}`,
    `Channels: ${[...row.channels].sort().join(' × ')}`,
    `Nights: ${row.overlap_start} to ${row.overlap_end} (check-out)`,
  ].join('\n')
}

/** One alert per conflict, ever: a conflict that resolves and reopens was alerted already. */
export const conflictAlertKey = (conflictId: string) => `calendar.conflict:${conflictId}`

/**
 * Writes the Telegram alert of each new conflict to the messaging outbox, in the transaction that
 * found the conflicts (a booking change, a feed sync), so an alert exists exactly when its
 * conflict does; the outbox sends it at most once (docs/messaging.md). Only open conflicts of a
 * tenant with alert settings are alerted. Returns the ids of the messages written, whose
 * `messaging.send` jobs the caller queues once its transaction has committed.
 */
export async function alertConflicts(tx: Tx, tenantId: string, conflictIds: string[]): Promise<string[]> {
  if (conflictIds.length === 0) return []
  const rows = await tx.execute<AlertRow>(sql`
    select c.id, p.name as property_name, c.overlap_start::text, c.overlap_end::text, c.severity,
      array[coalesce(sa.channel, 'direct'), coalesce(sb.channel, 'direct')] as channels,
      s.telegram_chat_id as chat_id, s.version
    from calendar_conflicts c join properties p on p.id = c.property_id
      join bookings a on a.id = c.booking_a_id left join calendar_sources sa on sa.id = a.source_id
      join bookings b on b.id = c.booking_b_id left join calendar_sources sb on sb.id = b.source_id
      join calendar_alert_settings s on s.tenant_id = c.tenant_id
    where c.tenant_id = ${tenantId} and c.id in (${sql.join(
      conflictIds.map((id) => sql`${id}`),
      sql`, `,
    )}) and c.status = 'open'
      and c.alerted_at is null
    order by c.detected_at, c.id`)
  const queued: string[] = []
  for (const row of rows.rows) {
    const message = await insertOutboundMessage(tx, tenantId, {
      channel: 'telegram',
      purpose: 'calendar.conflict_alert',
      idempotencyKey: conflictAlertKey(row.id),
      to: row.chat_id,
      from: { vaultOwner: ALERTS_OWNER, version: row.version },
      content: { text: alertText(row) },
    })
    // An alert written before (even to another chat, or with other nights) stands: never twice.
    if (message.created) queued.push(message.id)
  }
  return queued
}

/**
 * `calendar.alert`, queued by a deploy from before the outbox: the conflict's alert goes to the
 * outbox like any new one (nothing if it was alerted already), and is sent from there.
 */
export async function enqueueLegacyAlert(job: JobOf<'calendar.alert'>, services: Services): Promise<void> {
  const ids = await services.db.transaction((tx) => alertConflicts(tx, job.tenantId, [job.conflictId]), {
    tenantId: job.tenantId,
  })
  await queueSends(services.jobs, job.tenantId, ids)
}
