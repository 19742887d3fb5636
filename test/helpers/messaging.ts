import { expect } from 'vitest'
import { DbHandle } from '../../db/client.ts'
import { newId } from '../../db/ids.ts'
import { sha256Hex } from '../../worker/auth/tokens.ts'
import { loadConfig } from '../../worker/config.ts'
import { workersKv } from '../../worker/runtime/cloudflare.ts'
import { createServices } from '../../worker/runtime/services.ts'
import { type Caller, createCaller } from '../../worker/services/caller.ts'
import { type SecretRef, Vault } from '../../worker/vault/vault.ts'
import { uniqueAccount } from './connections.ts'
import { captureQueue, sharedEnv, type TestBindings, type TestDatabase } from './env.ts'
import { createMember, createTenant, type TenantFixture } from './fixtures.ts'

const fakes = () => sharedEnv.TEST_FAKE_PLATFORMS_URL

/**
 * A tenant whose modules will send messages: a `Caller` proving an admin API key of the tenant (as
 * a module's verb would run inside `caller.run`), its own queue that records what is sent, and
 * bindings for running those jobs through the real consumer. `close()` ends the caller's database.
 */
export async function messagingSetup(db: TestDatabase, tenant?: TenantFixture) {
  const capture = captureQueue()
  const env: TestBindings = { ...db.env, JOBS: capture.queue, WEBHOOKS: capture.queue }
  const owner = tenant ?? (await createTenant(db))
  const keyId = newId('key')
  const secret = crypto.randomUUID()
  const admin = await createMember(db, owner.tenantId, 'owner')
  await db.owner(
    `insert into api_keys (id, tenant_id, name, role, secret_hash, last_four, created_by)
     values ($1, $2, 'module', 'admin', $3, 'abcd', $4)`,
    [keyId, owner.tenantId, await sha256Hex(secret), admin.id],
  )
  const services = createServices(env)
  const caller: Caller = createCaller({
    services,
    meta: { ip: null, userAgent: null, requestId: `test-${crypto.randomUUID()}` },
    credential: { kind: 'api_key', keyId, secret },
  })
  return { tenant: owner, env, capture, caller, close: () => services.db.close() }
}

/** Seals a secret in the vault for the tenant, as the app would (the version is the caller's). */
export async function storeSecret(env: TestBindings, ref: SecretRef, value: string, version = 1) {
  const handle = new DbHandle({
    connectionString: env.DATABASE_URL as string,
    wsProxy: env.NEON_WS_PROXY,
    connectTimeoutMs: 5000,
  })
  try {
    await handle.transaction(
      (tx) =>
        new Vault(tx, workersKv(env.TOKENS), loadConfig(env).VAULT_MASTER_KEYS).put(ref, value, version),
      { tenantId: ref.tenantId },
    )
  } finally {
    await handle.close()
  }
}

/** A WhatsApp connection of the tenant (its WABA) with a token the fake accepts, in the vault. */
export async function whatsappConnection(db: TestDatabase, tenantId: string) {
  const connectionId = newId('con')
  const token = `fake-wa-${crypto.randomUUID()}`
  await db.owner(
    `insert into connections (id, tenant_id, platform, external_account_id, label) values ($1, $2, 'whatsapp', $3, 'Atendimento')`,
    [connectionId, tenantId, uniqueAccount('1022')],
  )
  await storeSecret(db.env, { tenantId, ownerId: connectionId, purpose: 'access_token' }, token)
  return { connectionId, token, phoneNumberId: uniqueAccount('1099', 15) }
}

/** A customer's number no other test uses. */
export const newCustomer = () => uniqueAccount('55119', 13)
/** An e-mail address no other test uses. */
export const newAddress = () => `cliente-${crypto.randomUUID().slice(0, 12)}@example.test`

async function control(path: string, body?: unknown) {
  const response = await fetch(`${fakes()}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  expect(response.status).toBe(200)
  return response.json()
}

export type FakeWhatsappMessage = {
  wamid: string
  phoneNumberId: string
  to: string
  type: string
  text?: string
  template?: { name: string; language: string; parameters: string[] }
}

/** What the fake Cloud API accepted for `to` (one entry per platform call that sent something). */
export async function whatsappSent(to: string): Promise<FakeWhatsappMessage[]> {
  return ((await control(`/whatsapp/__control/messages?to=${to}`)) as { messages: FakeWhatsappMessage[] })
    .messages
}

/** Closes (or opens) the fake's customer-service window for `to`. */
export const whatsappWindow = (to: string, open: boolean) =>
  control('/whatsapp/__control/window', { to, open })
/** The next `times` sends to `to` fail with `code` (130429, 131056, 131026, 500…). */
export const whatsappFail = (to: string, code: number, times = 1) =>
  control('/whatsapp/__control/fail', { to, code, times })

export type FakeEmail = {
  id: string
  from: string
  to: string[]
  subject: string
  text?: string
  headers?: Record<string, string>
  attachments: { filename: string; content_type: string | null; size: number; content: string }[]
  idempotencyKey: string | null
}

export async function emailsTo(address: string): Promise<FakeEmail[]> {
  return (
    (await control(`/resend/__control/emails?to=${encodeURIComponent(address)}`)) as { emails: FakeEmail[] }
  ).emails
}

export const resendFail = (to: string, status: number, times = 1) =>
  control('/resend/__control/fail', { to, status, times })

/** One outbox row as the owner sees it. */
export async function messageRow(db: TestDatabase, id: string) {
  const [row] = await db.owner<{
    status: string
    attempts: number
    provider_message_id: string | null
    error_code: string | null
    provider_error_code: string | null
    error_message: string | null
    cost_category: string | null
    next_attempt_at: Date
    sent_at: Date | null
  }>(
    `select status, attempts, provider_message_id, error_code, provider_error_code, error_message,
       cost_category, next_attempt_at, sent_at from outbound_messages where id = $1`,
    [id],
  )
  return row
}

/** Makes a backing-off message due now, as if its wait were over. */
export const makeDue = (db: TestDatabase, id: string) =>
  db.owner(`update outbound_messages set next_attempt_at = now() where id = $1`, [id])
