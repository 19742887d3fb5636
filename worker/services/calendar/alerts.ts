import { eq, sql } from 'drizzle-orm'
import { calendarAlertSettings } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { platformHttp } from '../../connectors/http.ts'
import { ConnectorError } from '../../connectors/types.ts'
import type { JobOf } from '../../jobs/messages.ts'
import { RetryLater } from '../../jobs/retry.ts'
import { log } from '../../log.ts'
import type { Services } from '../../runtime/ports.ts'
import { type SecretRef, StaleSecretError, Vault } from '../../vault/vault.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'

/** The vault owner of a tenant's Telegram bot token. */
export const ALERTS_OWNER = 'calendar-alerts'
const botTokenRef = (tenantId: string): SecretRef => ({
  tenantId,
  ownerId: ALERTS_OWNER,
  purpose: 'bot_token',
})
/** Another consumer holding the alert is given this long before the alert may be tried again. */
const CLAIM_SECONDS = 120

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
  property_name: string
  overlap_start: string
  overlap_end: string
  severity: string
  channels: string[]
  chat_id: string | null
  version: number | null
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

/**
 * Sends one conflict's alert to the tenant's Telegram chat, at most once: the conflict is claimed
 * (a short lease) in one transaction, Telegram is called with no transaction open, and
 * `alerted_at` is set in another. A conflict already alerted, resolved, or of a tenant without
 * alert settings is acknowledged without sending. Telegram's refusals (a revoked bot, an unknown
 * chat) are recorded on the conflict and not retried; throttling and outages are.
 */
export async function sendConflictAlert(job: JobOf<'calendar.alert'>, services: Services): Promise<void> {
  const { db, config } = services
  const claimed = await db
    .transaction(
      async (tx) => {
        const rows = await tx.execute<AlertRow>(sql`
          with claimed as (
            update calendar_conflicts c set alert_claimed_at = now()
            where c.id = ${job.conflictId} and c.tenant_id = ${job.tenantId} and c.status = 'open'
              and c.alerted_at is null
              and (c.alert_claimed_at is null or c.alert_claimed_at < now() - make_interval(secs => ${CLAIM_SECONDS}))
              and exists (select 1 from calendar_alert_settings s where s.tenant_id = c.tenant_id)
            returning c.*
          )
          select p.name as property_name, c.overlap_start::text, c.overlap_end::text, c.severity,
            array[coalesce(sa.channel, 'direct'), coalesce(sb.channel, 'direct')] as channels,
            s.telegram_chat_id as chat_id, s.version
          from claimed c join properties p on p.id = c.property_id
            join bookings a on a.id = c.booking_a_id left join calendar_sources sa on sa.id = a.source_id
            join bookings b on b.id = c.booking_b_id left join calendar_sources sb on sb.id = b.source_id
            left join calendar_alert_settings s on s.tenant_id = c.tenant_id`)
        const row = rows.rows[0]
        if (!row?.chat_id || row.version === null) return null
        const vault = new Vault(tx, services.tokens, config.VAULT_MASTER_KEYS)
        return { ...row, botToken: await vault.get(botTokenRef(job.tenantId), row.version) }
      },
      { tenantId: job.tenantId },
    )
    .catch((error: unknown) => {
      if (error instanceof StaleSecretError) throw new RetryLater('bot token not yet visible in KV', 30)
      throw error
    })
  if (!claimed) {
    log('info', 'calendar alert not sent: already sent, resolved or no alert settings', {
      conflict_id: job.conflictId,
      tenant_id: job.tenantId,
    })
    return
  }
  const outcome = await sendTelegram(
    config.TELEGRAM_API_URL,
    claimed.botToken,
    claimed.chat_id as string,
    alertText(claimed),
  )
  await db.transaction(
    async (tx) => {
      // Sent: alerted for good. Refused for good: the error stays visible and the claim too, so
      // nothing resends it. Worth retrying: the claim is released for the redelivery.
      const set = outcome.ok
        ? sql`alerted_at = now(), alert_error = null`
        : outcome.retry
          ? sql`alert_error = ${outcome.error}, alert_claimed_at = null`
          : sql`alert_error = ${outcome.error}`
      await tx.execute(sql`
        update calendar_conflicts set ${set}, updated_at = now()
        where id = ${job.conflictId} and tenant_id = ${job.tenantId}`)
    },
    { tenantId: job.tenantId },
  )
  if (!outcome.ok && outcome.retry)
    throw new RetryLater(`telegram: ${outcome.error}`, outcome.retryAfterSeconds)
}

type SendOutcome =
  | { ok: true; retry: false; error?: undefined }
  | { ok: false; retry: boolean; error: string; retryAfterSeconds: number }

/**
 * `POST /bot<token>/sendMessage`. The token is part of the path, so neither the URL nor
 * Telegram's answer is ever logged or stored; only Telegram's error description is.
 */
export async function sendTelegram(
  baseUrl: string,
  botToken: string,
  chatId: string,
  text: string,
): Promise<SendOutcome> {
  const http = platformHttp({ baseUrl, timeoutMs: 10_000, budget: 1 })
  let response: Response
  try {
    // `./`: a relative path whose first segment has a colon would otherwise parse as a URL scheme.
    response = await http.fetch(`./bot${botToken}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chat_id: chatId, text, disable_web_page_preview: true }),
    })
  } catch (error) {
    const message = error instanceof ConnectorError ? error.message : 'Telegram unreachable'
    return { ok: false, retry: true, error: message.replace('platform', 'Telegram'), retryAfterSeconds: 0 }
  }
  const body = (await response.json().catch(() => null)) as {
    ok?: boolean
    description?: string
    parameters?: { retry_after?: number }
  } | null
  if (response.ok && body?.ok) return { ok: true, retry: false }
  const description = (body?.description ?? `HTTP ${response.status}`).slice(0, 300)
  const retry = response.status === 429 || response.status >= 500
  return {
    ok: false,
    retry,
    error: description,
    retryAfterSeconds: body?.parameters?.retry_after ?? 0,
  }
}
