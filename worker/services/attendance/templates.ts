import { and, asc, eq, sql } from 'drizzle-orm'
import { newId } from '../../../db/ids.ts'
import { attendanceTemplates } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { platformHttp } from '../../connectors/http.ts'
import { GRAPH_VERSION } from '../../connectors/meta.ts'
import type { ConnectorError } from '../../connectors/types.ts'
import type { JobOf } from '../../jobs/messages.ts'
import { RetryLater } from '../../jobs/retry.ts'
import { log } from '../../log.ts'
import type { Services } from '../../runtime/ports.ts'
import { Vault } from '../../vault/vault.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { getNumber } from './numbers.ts'

/** The templates of a number's WABA, with their status (only APPROVED ones can be sent). */
export async function listTemplates(ctx: ServiceContext, numberId: string) {
  authorize(ctx.principal, 'attendance.read')
  const number = await getNumber(ctx, numberId)
  const data = await ctx.tx
    .select({
      name: attendanceTemplates.name,
      language: attendanceTemplates.language,
      category: attendanceTemplates.category,
      status: attendanceTemplates.status,
      body: attendanceTemplates.body,
      parameters: attendanceTemplates.parameters,
      syncedAt: attendanceTemplates.syncedAt,
    })
    .from(attendanceTemplates)
    .where(
      and(
        eq(attendanceTemplates.tenantId, ctx.principal.tenantId),
        eq(attendanceTemplates.wabaId, number.wabaId),
      ),
    )
    .orderBy(asc(attendanceTemplates.name), asc(attendanceTemplates.language))
  return { data }
}

/** Asks for the number's templates to be synced from Meta (the `attendance.templates_sync` job). */
export async function requestTemplateSync(ctx: ServiceContext, numberId: string) {
  authorize(ctx.principal, 'attendance.manage')
  const tenantId = ctx.principal.tenantId
  await getNumber(ctx, numberId)
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'attendance.templates_sync_requested',
    tenantId,
    target: { type: 'attendance_number', id: numberId },
  })
  ctx.afterCommit(() =>
    ctx.services.jobs.send({ type: 'attendance.templates_sync', v: 1, tenantId, numberId }),
  )
  return { status: 'queued' as const }
}

/** One template as Meta lists it (`GET /{waba-id}/message_templates`). */
type MetaTemplate = {
  id?: string
  name?: string
  language?: string
  status?: string
  category?: string
  components?: { type?: string; text?: string }[]
}
type TemplatePage = { data?: MetaTemplate[]; paging?: { cursors?: { after?: string }; next?: string } }

/** At most this many pages (100 templates each) per sync: a WABA holds at most 250 templates per name. */
const MAX_PAGES = 20

/** The placeholders of a template body: `{{1}}`, `{{2}}`… or `{{first_name}}`, in order, once each. */
export const placeholdersOf = (body: string | null) => [
  ...new Set([...(body ?? '').matchAll(/\{\{\s*([a-z0-9_]+)\s*\}\}/g)].map((m) => m[1] as string)),
]

/**
 * Syncs a number's WABA templates: the token is read in a short transaction, Meta's pages are read
 * with none open, and every template is upserted (status, category, body and placeholders) in one
 * statement; templates no longer listed are marked `DELETED`. A throttled or unavailable Meta
 * retries the job.
 */
export async function syncTemplates(message: JobOf<'attendance.templates_sync'>, services: Services) {
  const { tenantId, numberId } = message
  const sender = await services.db.transaction(
    async (tx) => {
      const [row] = (
        await tx.execute<{
          waba_id: string
          connection_id: string
          token_version: number
          status: string
        }>(sql`
          select n.waba_id, n.connection_id, c.token_version, c.status
          from attendance_numbers n join connections c on c.id = n.connection_id and c.tenant_id = n.tenant_id
          where n.id = ${numberId} and n.tenant_id = ${tenantId}`)
      ).rows
      if (!row || row.status === 'disconnected' || row.status === 'needs_reconnect') return null
      const vault = new Vault(tx, services.tokens, services.config.VAULT_MASTER_KEYS)
      const token = await vault.get(
        { tenantId, ownerId: row.connection_id, purpose: 'access_token' },
        row.token_version,
      )
      return { wabaId: row.waba_id, token }
    },
    { tenantId },
  )
  if (!sender) {
    log('warn', 'template sync skipped: no usable WhatsApp connection', { tenant_id: tenantId })
    return
  }
  const http = platformHttp({
    baseUrl: services.config.WHATSAPP_API_URL,
    timeoutMs: services.config.PLATFORM_TIMEOUT_MS,
    budget: MAX_PAGES,
  })
  const templates: MetaTemplate[] = []
  let after: string | undefined
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ limit: '100', ...(after ? { after } : {}) })
    let response: Response
    try {
      response = await http.fetch(
        `${GRAPH_VERSION}/${encodeURIComponent(sender.wabaId)}/message_templates?${query}`,
        {
          headers: { authorization: `Bearer ${sender.token}` },
        },
      )
    } catch (error) {
      throw new RetryLater((error as ConnectorError).message, 60)
    }
    if (response.status === 429 || response.status >= 500)
      throw new RetryLater(`templates: HTTP ${response.status}`, 60)
    if (!response.ok) {
      log('warn', 'template sync refused', { tenant_id: tenantId, status: response.status })
      return
    }
    const body = (await response.json()) as TemplatePage
    templates.push(...(body.data ?? []))
    after = body.paging?.next ? body.paging.cursors?.after : undefined
    if (!after) break
  }
  const rows = templates.flatMap((t) => {
    if (!t.name || !t.language) return []
    const text = t.components?.find((c) => c.type?.toUpperCase() === 'BODY')?.text ?? null
    return [
      {
        id: newId('tpl'),
        x: t.id ?? null,
        n: t.name,
        l: t.language,
        c: (t.category ?? 'UTILITY').toUpperCase(),
        s: (t.status ?? 'PENDING').toUpperCase(),
        b: text,
        p: placeholdersOf(text),
      },
    ]
  })
  await services.db.transaction(
    async (tx) => {
      await tx.execute(sql`
        with input as (
          select distinct on (n, l) * from json_to_recordset(${JSON.stringify(rows)}::json)
            as r(id text, x text, n text, l text, c text, s text, b text, p jsonb) order by n, l
        ), upserted as (
          insert into attendance_templates as t
            (id, tenant_id, waba_id, external_id, name, language, category, status, body, parameters, synced_at)
          select id, ${tenantId}, ${sender.wabaId}, x, n, l, c, s, b, p, now() from input
          on conflict (tenant_id, waba_id, name, language) do update set external_id = excluded.external_id,
            category = excluded.category, status = excluded.status, body = excluded.body,
            parameters = excluded.parameters, synced_at = now(), updated_at = now()
          returning t.id
        )
        update attendance_templates t set status = 'DELETED', updated_at = now()
        where t.tenant_id = ${tenantId} and t.waba_id = ${sender.wabaId} and t.status <> 'DELETED'
          and not exists (select 1 from input i where i.n = t.name and i.l = t.language)`)
    },
    { tenantId },
  )
  log('info', 'templates synced', { tenant_id: tenantId, templates: rows.length })
}
