import { and, desc, eq, isNull } from 'drizzle-orm'
import { newId } from '../../../db/ids.ts'
import { apiKeys } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { formatApiKey, randomSecret, sha256Hex } from '../../auth/tokens.ts'
import { notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { afterCursor, byCreatedAt, cutPage, sortKey } from '../keyset.ts'
import { FORBIDDEN_ABOVE_OWN_ROLE, ROLE_RANK } from './team.ts'

export type ApiKeyRole = 'admin' | 'analyst' | 'viewer'

/** The non-secret start of a key (`ik_<id>_`): with the last four characters, enough to recognise it. */
const prefixOf = (id: string) => formatApiKey(id, '')

/** What the API shows of a key: never the secret or its hash. */
const visible = {
  id: apiKeys.id,
  name: apiKeys.name,
  role: apiKeys.role,
  lastFour: apiKeys.lastFour,
  createdBy: apiKeys.createdBy,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
}

/**
 * Creates a key for the caller's tenant. The full key is returned here and nowhere else: only
 * the SHA-256 of its secret (high entropy, so no slow hash is needed) and its last four
 * characters are stored.
 */
export async function createApiKey(ctx: ServiceContext, input: { name: string; role: ApiKeyRole }) {
  const { tx, principal, meta } = ctx
  authorize(principal, 'api_keys.manage')
  if (ROLE_RANK[input.role] > ROLE_RANK[principal.role]) throw FORBIDDEN_ABOVE_OWN_ROLE()
  const id = newId('key')
  const secret = randomSecret(32)
  const [created] = await tx
    .insert(apiKeys)
    .values({
      id,
      tenantId: principal.tenantId,
      name: input.name,
      role: input.role,
      secretHash: await sha256Hex(secret),
      lastFour: secret.slice(-4),
      createdBy: principal.id,
    })
    .returning(visible)
  await writeAudit(tx, actorOf(principal), meta, {
    action: 'api_key.created',
    tenantId: principal.tenantId,
    target: { type: 'api_key', id },
    data: { name: input.name, role: input.role },
  })
  const row = created as NonNullable<typeof created>
  return { ...row, prefix: prefixOf(id), key: formatApiKey(id, secret) }
}

/** The tenant's keys, newest first, revoked ones included (with `revoked_at`). */
export async function listApiKeys(
  { tx, principal }: ServiceContext,
  input: { limit: number; cursor?: string },
) {
  authorize(principal, 'api_keys.manage')
  const rows = await tx
    .select({ ...visible, sortKey: sortKey(apiKeys.createdAt) })
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.tenantId, principal.tenantId),
        afterCursor(byCreatedAt(apiKeys, 'key'), input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
    .limit(input.limit + 1)
  const page = cutPage(rows, input.limit)
  return { ...page, data: page.data.map((key) => ({ ...key, prefix: prefixOf(key.id) })) }
}

/** Revokes a key at once (the next request with it gets 401); revoking it again changes nothing. */
export async function revokeApiKey({ tx, principal, meta, now }: ServiceContext, id: string): Promise<void> {
  authorize(principal, 'api_keys.manage')
  const [key] = await tx
    .select({ revokedAt: apiKeys.revokedAt })
    .from(apiKeys)
    .where(and(eq(apiKeys.id, id), eq(apiKeys.tenantId, principal.tenantId)))
  if (!key) throw notFound('API key')
  const revoked = await tx
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.tenantId, principal.tenantId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id })
  if (revoked.length === 0) return
  await writeAudit(tx, actorOf(principal), meta, {
    action: 'api_key.revoked',
    tenantId: principal.tenantId,
    target: { type: 'api_key', id },
  })
}
