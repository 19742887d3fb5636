import { afterEach, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest'
import { newId } from '../../db/ids.ts'
import type { Module } from '../../db/schema/index.ts'
import { authorizeRequirement, type Permit } from '../../worker/auth/permissions.ts'
import type { Principal } from '../../worker/auth/principal.ts'
import { randomSecret, sha256Hex } from '../../worker/auth/tokens.ts'
import { totp } from '../../worker/auth/totp.ts'
import { loadConfig } from '../../worker/config.ts'
import { permitOf } from '../../worker/middleware/permit.ts'
import { validationOf } from '../../worker/openapi/registry.ts'
import { r2Objects } from '../../worker/runtime/cloudflare.ts'
import { trackingToken } from '../../worker/services/commerce/tracking.ts'
import { putFile, tenantFileKey } from '../../worker/services/files/files.ts'
import {
  createBooking,
  createProperty,
  createSource,
  newBotToken,
  newChatId,
  newFeed,
} from '../helpers/calendar.ts'
import { uniqueAccount } from '../helpers/connections.ts'
import { captureQueue, createTestDatabase, type TestBindings, type TestDatabase } from '../helpers/env.ts'
import { as, createMember, createOperator, createTenant, login, PASSWORD } from '../helpers/fixtures.ts'
import { loadOperations, type Operation } from '../helpers/fuzz.ts'
import { portalClient } from '../helpers/portal.ts'
import { apiRoutes } from '../helpers/routes.ts'
import {
  book as bookAppointment,
  clinic,
  createProfessional as createSchedulingProfessional,
} from '../helpers/scheduling.ts'
import { challengeFor, enrolTotp, startEnrolment } from '../helpers/two-factor.ts'
import { callWorker } from '../helpers/worker.ts'

/**
 * The security matrix of the API: every operation of the served OpenAPI document × every kind of
 * caller (nobody, an operator, each member role and API-key role of two tenants) × resources of
 * the caller's own tenant and of the other one. POLICY below is the written-down rule for each
 * operation — independent of the services' own checks, which it tests — and the first test fails
 * when an operation is documented without a rule (a new route is never forgotten) or a rule
 * names an operation that no longer exists.
 *
 * Expected answers: no credential → 401; a caller the rule refuses → 403 (checked before
 * anything is looked up, so another tenant's id answers 403 too); an allowed caller → 2xx with
 * its own tenant's resources and 404 with the other tenant's (never confirming they exist).
 * Authorization comes before validation: each caller also sends the request made invalid (its
 * body, a query parameter, or else a path parameter) and gets the same 401 or 403, without field
 * details, or the 400 when the route admits it; a tenant whose plan lacks the operation's module
 * gets 403 MODULE_DISABLED for the valid and the invalid request alike. What each route declares
 * (`permit()`) is checked against its rule here too.
 * Every answer carries the security headers; error answers are the envelope. The Worker's logs
 * of the whole run are scanned for the secrets planted in the requests.
 */

type Role = 'owner' | 'admin' | 'analyst' | 'viewer' | 'agent'
type KeyRole = 'admin' | 'analyst' | 'viewer'
type TenantName = 'A' | 'B'
type Caller =
  | { kind: 'anonymous' }
  | { kind: 'operator' }
  | { kind: 'member'; tenant: TenantName; role: Role }
  | { kind: 'api_key'; tenant: TenantName; role: KeyRole }

const ROLES: Role[] = ['owner', 'admin', 'analyst', 'viewer', 'agent']
const KEY_ROLES: KeyRole[] = ['admin', 'analyst', 'viewer']
const CALLERS: Caller[] = [
  { kind: 'anonymous' },
  { kind: 'operator' },
  ...(['A', 'B'] as const).flatMap((tenant): Caller[] => [
    ...ROLES.map((role) => ({ kind: 'member' as const, tenant, role })),
    ...KEY_ROLES.map((role) => ({ kind: 'api_key' as const, tenant, role })),
  ]),
]
const label = (caller: Caller) =>
  caller.kind === 'member' || caller.kind === 'api_key'
    ? `${caller.kind}:${caller.role}@${caller.tenant}`
    : caller.kind

/**
 * Who may call an operation:
 * - `public`: no credential needed (whatever is sent, the answer is the same);
 * - `anyone`: any valid credential;
 * - `person`: a signed-in operator or member (a session of their own), never an API key;
 * - `operator`: operators of the central only;
 * - `{ roles, keys }`: members of the tenant with one of `roles`, and API keys of those roles when
 *   `keys` (people and keys management, consent and erasure are for people only).
 */
type Rule = 'public' | 'anyone' | 'person' | 'operator' | { roles: readonly Role[]; keys: boolean }
/** Every role but the inbox's agent, who reads conversations and nothing else. */
const READ = { roles: ['owner', 'admin', 'analyst', 'viewer'], keys: true } as const
const MANAGE = { roles: ['owner', 'admin'], keys: true } as const
const MESSAGES = { roles: ['owner', 'admin', 'analyst'], keys: true } as const
const PEOPLE = { roles: ['owner', 'admin'], keys: false } as const
const OWNER_ONLY = { roles: ['owner'], keys: false } as const
const FULFIL = { roles: ['owner', 'admin', 'analyst'], keys: true } as const
/** The WhatsApp inbox: read by those who read customers' messages, and by its agents. */
const INBOX_READ = { roles: ['owner', 'admin', 'analyst', 'agent'], keys: true } as const
/** Answering in the inbox: owners, admins (and their keys: a bot may answer) and agents. */
const INBOX_REPLY = { roles: ['owner', 'admin', 'agent'], keys: true } as const

/** The request one caller sends: path parameters, query, body, and headers (the storefront's shop). */
type Request = {
  params?: Record<string, string>
  query?: string
  body?: unknown
  headers?: Record<string, string>
}

type Tenant = {
  name: TenantName
  tenantId: string
  slug: string
  ownerEmail: string
  /** Calls the API as this tenant's owner (to create resources for a case). */
  call: ReturnType<typeof as>
}

/**
 * Builds a request; `resources` is the tenant whose ids it uses (the caller's or the other one),
 * `self` the signed-in person calling with their own tenant's resources.
 */
type Build = (resources: Tenant, self?: { email: string }) => Promise<Request>

type Policy = {
  rule: Rule
  build?: Build
  /** An allowed caller may also get these (a second "collect now" within 5 minutes…). */
  alsoOk?: readonly number[]
  /**
   * The request names a tenant resource; with the other tenant's, an allowed caller gets what an
   * unknown id gets: 404 for a resource in the path, 400 VALIDATION_FAILED for one in the body.
   */
  scoped?: 'path' | 'body'
  /** The call ends or changes the caller's own session: each caller signs in afresh for it. */
  freshCaller?: boolean
  /**
   * Who may use the route at all, when it is wider than `rule` because the body decides (a
   * tenant's erasure is the owner's, a connection's is owners' and admins'): the route declares
   * this, and an invalid request is refused or answered 400 by it.
   */
  route?: Rule
}

let db: TestDatabase
let env: TestBindings
const tenants = {} as Record<TenantName, Tenant>
const unique = () => crypto.randomUUID().slice(0, 8)

/** Planted in requests: none may appear in a log line, nor in a response. */
const planted = new Set<string>([PASSWORD])
const plant = <T extends string>(secret: T): T => {
  planted.add(secret)
  return secret
}
/** Credentials the API hands out once (tokens at login, a key at creation): never in a log line. */
const issued = new Set<string>()
const issue = (credential: string) => {
  issued.add(credential)
  return credential
}
const NEW_PASSWORD = plant(`matrix new password ${unique()}`)

async function created<T = { id: string }>(response: Response): Promise<T> {
  const text = await response.text()
  if (response.status >= 300) throw new Error(`setup request failed: ${response.status} ${text}`)
  return JSON.parse(text) as T
}

const sessionIdOf = (accessToken: string) =>
  (
    JSON.parse(atob((accessToken.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/'))) as {
      sid: string
    }
  ).sid

// Resources created for one case, in the given tenant.
const connection = async (t: Tenant) =>
  (
    await created(
      await t.call('/api/v1/connections', {
        method: 'POST',
        json: {
          platform: 'instagram',
          external_account_id: uniqueAccount('178414'),
          access_token: plant(`fake-ig-${crypto.randomUUID()}`),
        },
      }),
    )
  ).id
const member = async (t: Tenant) => (await createMember(db, t.tenantId, 'viewer')).id
/**
 * A member to sign in as (their e-mail). Never the owner whose session sets the cases up: a
 * person keeps at most 10 sessions, so signing the owner in again and again would end it.
 */
const person = async (t: Tenant) => (await createMember(db, t.tenantId, 'viewer')).email
/** A member invited by e-mail who has not accepted yet. */
const invited = async (t: Tenant) => (await createMember(db, t.tenantId, 'viewer', { status: 'invited' })).id
/** A live link's token for a new member of the tenant (invited, or active for a reset), stored hashed. */
async function accountToken(t: Tenant, purpose: 'password_reset' | 'invitation'): Promise<string> {
  const member = await createMember(db, t.tenantId, 'viewer', {
    status: purpose === 'invitation' ? 'invited' : 'active',
  })
  const token = plant(`${purpose === 'invitation' ? 'inv' : 'pwr'}_${randomSecret(32)}`)
  await db.owner(
    `insert into account_tokens (tenant_id, user_id, purpose, token_hash, request_key, expires_at)
     values ($1, $2, $3, $4, $5, now() + interval '30 minutes')`,
    [t.tenantId, member.id, purpose, await sha256Hex(token), `matrix:${unique()}`],
  )
  return token
}
const property = async (t: Tenant) => (await createProperty(t.call)).id
const source = async (t: Tenant) => (await createSource(t.call, await property(t), newFeed().url)).id
const booking = async (t: Tenant) =>
  (
    await createBooking(t.call, {
      property_id: await property(t),
      check_in: '2027-03-01',
      check_out: '2027-03-04',
    })
  ).booking.id
/** One outbox message of the tenant, as a module would have written it. */
const outboundMessage = async (t: Tenant) => {
  const messageId = newId('msg')
  await db.owner(
    `insert into outbound_messages (id, tenant_id, channel, purpose, recipient, payload, idempotency_key)
     values ($1, $2, 'email', 'matrix.case', 'cliente@example.test', '{"content":{"subject":"Oi","text":"Olá"}}', $1)`,
    [messageId, t.tenantId],
  )
  return messageId
}
// Commerce resources, written as the owner role (a store, a product, an order waiting for the team).
const commerceStore = async (t: Tenant) => {
  const storeId = newId('sto')
  await db.owner(
    `insert into commerce_stores (id, tenant_id, name, street, city, state, cep, latitude, longitude)
     values ($1, $2, $3, 'Rua A, 1', 'São Paulo', 'SP', '01310100', -23.56, -46.65)`,
    [storeId, t.tenantId, `Loja ${unique()}`],
  )
  return storeId
}
const commerceProduct = async (t: Tenant) => {
  const productId = newId('prd')
  await db.owner(
    `insert into commerce_products (id, tenant_id, name, price_cents) values ($1, $2, 'Café', 1000)`,
    [productId, t.tenantId],
  )
  return productId
}
const paidOrder = async (t: Tenant) => {
  const orderId = newId('ord')
  await db.owner(
    `insert into commerce_orders (id, tenant_id, store_id, status, fulfilment, idempotency_key, request_hash, customer_name,
       subtotal_cents, shipping_cents, total_cents, payment_due_at)
     values ($1, $2, $3, 'paid', 'pickup', $1, 'h', 'Cliente', 1000, 0, 1000, now())`,
    [orderId, t.tenantId, await commerceStore(t)],
  )
  return orderId
}
// Commerce campaigns: an automatic campaign of the tenant, written as the owner role.
const commerceCampaign = async (t: Tenant) => {
  const campaignId = newId('cmp')
  await db.owner(
    `insert into commerce_campaigns (id, tenant_id, name, target, kind, value, starts_at)
     values ($1, $2, 'Campanha', 'order', 'percent', 10, now())`,
    [campaignId, t.tenantId],
  )
  return campaignId
}
/**
 * The storefront API's footing in a tenant: its `X-Tenant` header, and a store (delivering up to
 * 8 km) selling a product with stock, for carts, quotes and checkouts.
 */
const storefront = async (t: Tenant) => {
  const [storeId, productId] = [await commerceStore(t), await commerceProduct(t)]
  await db.owner(
    `insert into commerce_stock (tenant_id, store_id, product_id, on_hand) values ($1, $2, $3, 1000)`,
    [t.tenantId, storeId, productId],
  )
  await db.owner(
    `insert into commerce_shipping_bands (id, tenant_id, store_id, max_km, price_cents) values ($1, $2, $3, 8, 500)`,
    [newId('shb'), t.tenantId, storeId],
  )
  return { headers: { 'x-tenant': t.slug }, storeId, productId }
}
const pickupCart = (shop: { storeId: string; productId: string }) => ({
  store_id: shop.storeId,
  fulfilment: 'pickup',
  items: [{ product_id: shop.productId, quantity: 1 }],
})

/**
 * A conversation of the tenant inside the customer-service window, with its WhatsApp connection,
 * number and contact, as the inbound webhook job would have made them.
 */
const attendanceConversation = async (t: Tenant) => {
  const [connectionId, numberId, contactId, conversationId] = [
    newId('con'),
    newId('anb'),
    newId('ctc'),
    newId('cnv'),
  ]
  const waId = uniqueAccount('55119', 13)
  await db.owner(
    `insert into connections (id, tenant_id, platform, external_account_id) values ($1, $2, 'whatsapp', $3)`,
    [connectionId, t.tenantId, uniqueAccount('1022')],
  )
  await db.owner(
    `insert into attendance_numbers (id, tenant_id, connection_id, phone_number_id, waba_id, display_number)
     values ($1, $2, $3, $4, '1022', '+55 11 4000-1000')`,
    [numberId, t.tenantId, connectionId, uniqueAccount('1099')],
  )
  await db.owner(
    `insert into attendance_contacts (id, tenant_id, contact_key, wa_id) values ($1, $2, $3, $4)`,
    [contactId, t.tenantId, `wa:${waId}`, waId],
  )
  await db.owner(
    `insert into attendance_conversations (id, tenant_id, number_id, contact_id, last_inbound_at) values ($1, $2, $3, $4, now())`,
    [conversationId, t.tenantId, numberId, contactId],
  )
  return { connectionId, numberId, contactId, conversationId }
}
const conversation = async (t: Tenant) => (await attendanceConversation(t)).conversationId
const attendanceNumber = async (t: Tenant) => (await attendanceConversation(t)).numberId
const contact = async (t: Tenant) => (await attendanceConversation(t)).contactId
// An approved WhatsApp template in the tenant's attendance store (scheduling's reminder template).
const approvedTemplate = async (t: Tenant) => {
  const id = newId('tpl')
  await db.owner(
    `insert into attendance_templates (id, tenant_id, waba_id, name, language, category, status, parameters)
     values ($1, $2, '1022', $3, 'pt_BR', 'UTILITY', 'APPROVED', '["1","2"]'::jsonb)`,
    [id, t.tenantId, `lembrete_${id.slice(4, 12)}`],
  )
  return id
}
const attendanceTeam = async (t: Tenant) => {
  const teamId = newId('atm')
  await db.owner('insert into attendance_teams (id, tenant_id, name) values ($1, $2, $3)', [
    teamId,
    t.tenantId,
    `Equipe ${unique()}`,
  ])
  return teamId
}
// Scheduling resources: each case gets its own professional, so its slot is always free.
const professional = async (t: Tenant) => (await createSchedulingProfessional(t.call)).id
const schedulingService = async (t: Tenant) => (await clinic(t.call)).service.id
const appointment = async (t: Tenant) => {
  const { professional: pro, service } = await clinic(t.call)
  const response = await bookAppointment(t.call, {
    service_id: service.id,
    professional_id: pro.id,
    starts_at: '2027-03-01T09:00:00-03:00',
  })
  return (await created(response)).id
}
/** A customer with an appointment (the scheduling erasure's target). */
const schedulingCustomer = async (t: Tenant) => {
  const id = await appointment(t)
  const [row] = await db.owner<{ customer_id: string }>(
    'select customer_id from appointments where id = $1',
    [id],
  )
  return row?.customer_id as string
}
const exception = async (t: Tenant) => {
  const id = await professional(t)
  const response = await t.call(`/api/v1/scheduling/professionals/${id}/exceptions`, {
    method: 'PUT',
    json: { date: '2027-03-02', kind: 'off' },
  })
  return { id, exceptionId: (await created(response)).id }
}
const blockedPeriod = async (t: Tenant) =>
  (
    await created(
      await t.call('/api/v1/scheduling/blocked-periods', {
        method: 'POST',
        json: { starts_at: '2027-12-24T00:00:00-03:00', ends_at: '2027-12-26T00:00:00-03:00' },
      }),
    )
  ).id
const freshTenant = async () => createTenant(db)
// Scheduled reports: a schedule made through the API, and a run held for review with its PDF stored.
const REPORT_SCHEDULE = {
  name: 'Matrix weekly',
  frequency: 'weekly',
  weekday: 1,
  local_time: '09:00',
  time_zone: 'America/Sao_Paulo',
  period: 'previous_week',
  recipients: ['matrix-client@example.test'],
}
const reportSchedule = async (t: Tenant) =>
  (await created(await t.call('/api/v1/reports/schedules', { method: 'POST', json: REPORT_SCHEDULE }))).id
const heldReportRun = async (t: Tenant) => {
  const scheduleId = await reportSchedule(t)
  const id = newId('rpr')
  const key = tenantFileKey(t.tenantId, 'reports', `${id}.pdf`)
  const size = await putFile(
    r2Objects(db.env.FILES),
    key,
    new TextEncoder().encode('%PDF-1.7 matrix'),
    'application/pdf',
  )
  await db.owner(
    `insert into report_runs (id, tenant_id, schedule_id, period_start, period_end, status, hold_reasons, file_key, file_size)
     values ($1, $2, $3, '2026-11-30', '2026-12-06', 'held', '["matrix"]', $4, $5)`,
    [id, t.tenantId, scheduleId, key, size],
  )
  return id
}
/** An owner's request to erase a fresh tenant, waiting for an operator. */
async function ownerErasureRequest() {
  const fresh = await freshTenant()
  const owner = await createMember(db, fresh.tenantId, 'owner')
  const call = as({ ...db, env }, (await login(db, owner.email)).access_token)
  const request = await created(
    await call('/api/v1/erasure-requests', { method: 'POST', json: { scope: 'tenant' } }),
  )
  return { id: request.id, slug: fresh.slug }
}
/** A connection of the tenant scheduled for erasure by its owner (password typed again). */
const connectionErasure = async (t: Tenant) =>
  (
    await created(
      await t.call('/api/v1/erasure-requests', {
        method: 'POST',
        json: { scope: 'connection', connection_id: await connection(t), reauth: { password: PASSWORD } },
      }),
    )
  ).id
const LIMITS = { users: 5, connections: 5, retention_days: 365, collection_interval_minutes: 60 }

const id =
  (make: (t: Tenant) => Promise<string>): Build =>
  async (t) => ({ params: { id: await make(t) } })
const body =
  (make: () => unknown): Build =>
  async () => ({ body: make() })

const POLICY: Record<string, Policy> = {
  // Authentication: login and refresh take no credential; the session routes are a person's own.
  'POST /api/v1/auth/login': {
    rule: 'public',
    build: async (t) => ({ body: { email: await person(t), password: PASSWORD } }),
  },
  'POST /api/v1/auth/refresh': {
    rule: 'public',
    build: async (t) => ({ body: { refresh_token: (await login(db, await person(t))).refresh_token } }),
  },
  'GET /api/v1/auth/me': { rule: 'anyone' },
  'POST /api/v1/auth/logout': { rule: 'person', freshCaller: true },
  'GET /api/v1/auth/sessions': { rule: 'person' },
  'DELETE /api/v1/auth/sessions/{id}': {
    rule: 'person',
    freshCaller: true,
    scoped: 'path',
    // Another session of the caller's own (signed in twice), or one of the other tenant's owner.
    build: async (t, self) => ({
      params: { id: sessionIdOf((await login(db, self?.email ?? (await person(t)))).access_token) },
    }),
  },
  'POST /api/v1/auth/password': {
    rule: 'person',
    freshCaller: true,
    build: body(() => ({ current_password: PASSWORD, new_password: NEW_PASSWORD })),
  },

  // Accounts (issue 20): recovery and invitations take no credential; their links carry a token.
  'POST /api/v1/auth/password-reset': {
    rule: 'public',
    // Callers without CF-Connecting-IP share one per-IP counter (20 an hour).
    alsoOk: [429],
    build: body(() => ({ email: `matrix-reset-${unique()}@example.test` })),
  },
  'POST /api/v1/auth/password-reset/confirm': {
    rule: 'public',
    build: async (t) => ({
      body: { token: await accountToken(t, 'password_reset'), password: NEW_PASSWORD },
    }),
  },
  'POST /api/v1/auth/invitations/accept': {
    rule: 'public',
    build: async (t) => ({ body: { token: await accountToken(t, 'invitation'), password: NEW_PASSWORD } }),
  },

  // Two-factor sign-in (issue 20): the second step of a login takes no credential (its challenge
  // proves the password); the rest is the person's own. Each allowed caller is a fresh person
  // whose factor the case sets up (build) before the call.
  'POST /api/v1/auth/login/two-factor': {
    rule: 'public',
    build: async (t) => {
      const email = await person(t)
      const { recoveryCodes } = await enrolTotp(db, email)
      return { body: { challenge_token: issue(await challengeFor(db, email)), code: recoveryCodes[0] } }
    },
  },
  'GET /api/v1/auth/two-factor': { rule: 'person' },
  'POST /api/v1/auth/two-factor/enrolment': {
    rule: 'person',
    freshCaller: true,
    build: body(() => ({ password: PASSWORD })),
  },
  'POST /api/v1/auth/two-factor/confirm': {
    rule: 'person',
    freshCaller: true,
    build: async (_t, self) => {
      if (!self) return { body: { code: '123456' } }
      const { secret } = await startEnrolment(db, self.email)
      return { body: { code: await totp(secret, new Date()) } }
    },
  },
  'POST /api/v1/auth/two-factor/recovery-codes': {
    rule: 'person',
    freshCaller: true,
    build: async (_t, self) => ({
      body: { code: self ? (await enrolTotp(db, self.email)).recoveryCodes[0] : 'aaaaa-bbbbb' },
    }),
  },
  'POST /api/v1/auth/two-factor/disable': {
    rule: 'person',
    freshCaller: true,
    build: async (_t, self) => ({
      body: {
        password: PASSWORD,
        code: self ? (await enrolTotp(db, self.email)).recoveryCodes[0] : 'aaaaa-bbbbb',
      },
    }),
  },
  'GET /api/v1/tenant/two-factor': { rule: OWNER_ONLY },
  // Off: turning it on needs the owner's own factor, and would restrict the matrix's sessions.
  'PUT /api/v1/tenant/two-factor': { rule: OWNER_ONLY, build: body(() => ({ required: false })) },

  // The tenant, its team, its keys and its audit trail.
  'GET /api/v1/tenant': { rule: READ },
  'GET /api/v1/users': { rule: PEOPLE },
  'POST /api/v1/users': {
    rule: PEOPLE,
    // Without a password: an invitation by e-mail, the default since issue 20.
    build: body(() => ({ email: `new-${unique()}@example.test`, name: 'New', role: 'viewer' })),
  },
  'POST /api/v1/users/{id}/invitation': {
    rule: PEOPLE,
    scoped: 'path',
    build: async (t) => ({ params: { id: await invited(t) }, body: {} }),
  },
  'DELETE /api/v1/users/{id}/invitation': { rule: PEOPLE, scoped: 'path', build: id(invited) },
  'PATCH /api/v1/users/{id}': {
    rule: PEOPLE,
    scoped: 'path',
    build: async (t) => ({ params: { id: await member(t) }, body: { name: 'Renamed' } }),
  },
  'POST /api/v1/users/{id}/deactivate': { rule: PEOPLE, scoped: 'path', build: id(member) },
  'POST /api/v1/users/{id}/reactivate': {
    rule: PEOPLE,
    scoped: 'path',
    build: id(async (t) => (await createMember(db, t.tenantId, 'viewer', { status: 'deactivated' })).id),
  },
  'POST /api/v1/api-keys': { rule: PEOPLE, build: body(() => ({ name: `key ${unique()}`, role: 'viewer' })) },
  'GET /api/v1/api-keys': { rule: PEOPLE },
  'DELETE /api/v1/api-keys/{id}': {
    rule: PEOPLE,
    scoped: 'path',
    build: id(
      async (t) =>
        (
          await created(
            await t.call('/api/v1/api-keys', { method: 'POST', json: { name: 'doomed', role: 'viewer' } }),
          )
        ).id,
    ),
  },
  // Admin keys read the audit trail (export to a SIEM is a machine's job); analysts do not.
  'GET /api/v1/audit': { rule: MANAGE },
  'GET /api/v1/tenant/settings': { rule: READ },
  'PATCH /api/v1/tenant/settings': { rule: MANAGE, build: body(() => ({ x_collection_enabled: true })) },

  // Connections (module metrics).
  'POST /api/v1/connections': {
    rule: MANAGE,
    build: body(() => ({
      platform: 'instagram',
      external_account_id: uniqueAccount('178414'),
      access_token: plant(`fake-ig-${crypto.randomUUID()}`),
    })),
  },
  'GET /api/v1/connections': { rule: READ },
  'GET /api/v1/connections/{id}': { rule: READ, scoped: 'path', build: id(connection) },
  'PATCH /api/v1/connections/{id}': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({ params: { id: await connection(t) }, body: { label: 'Renamed' } }),
  },
  'DELETE /api/v1/connections/{id}': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({ params: { id: await connection(t) }, query: 'purge_metrics=false' }),
  },
  'POST /api/v1/connections/{id}/collect': { rule: MANAGE, scoped: 'path', build: id(connection) },
  'GET /api/v1/connections/{id}/runs': { rule: READ, scoped: 'path', build: id(connection) },
  'POST /api/v1/connections/{id}/reconnect': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({
      params: { id: await connection(t) },
      body: { access_token: plant(`fake-ig-${crypto.randomUUID()}`) },
    }),
  },
  // OAuth runs in a person's browser: keys are refused even with an admin role.
  'GET /api/v1/connections/oauth/{platform}/start': {
    rule: PEOPLE,
    build: async () => ({ params: { platform: 'instagram' } }),
  },
  // Selections are sealed, short-lived and made only by an OAuth callback: an unknown one is 404.
  'POST /api/v1/connections/oauth/selections/{id}': {
    rule: PEOPLE,
    alsoOk: [404],
    build: async () => ({ params: { id: crypto.randomUUID() }, body: { external_account_ids: ['1'] } }),
  },

  // Privacy (LGPD): people only; erasing the tenant is the owner's alone.
  'POST /api/v1/consent': {
    rule: PEOPLE,
    build: body(() => ({
      subject: 'tenant',
      purpose: 'metrics_collection',
      policy_version: '2026-01',
      granted: true,
    })),
  },
  'GET /api/v1/consent': { rule: PEOPLE },
  'DELETE /api/v1/privacy/metrics': { rule: PEOPLE },
  // One export at a time per tenant: a second request while one runs is a conflict.
  'POST /api/v1/exports': { rule: PEOPLE, alsoOk: [409, 429] },
  'GET /api/v1/exports': { rule: PEOPLE },
  'GET /api/v1/exports/{id}': {
    rule: PEOPLE,
    scoped: 'path',
    build: id(async (t) => {
      const [row] = await db.owner<{ id: string }>(
        'select id from data_exports where tenant_id = $1 limit 1',
        [t.tenantId],
      )
      return row?.id ?? (await created(await t.call('/api/v1/exports', { method: 'POST' }))).id
    }),
  },
  // One open request per tenant: asking again answers the open one or a conflict.
  // (Erasing one connection's data, scope "connection", is privacy.manage: owners and admins.)
  'POST /api/v1/erasure-requests': {
    rule: OWNER_ONLY,
    route: PEOPLE,
    alsoOk: [409],
    build: body(() => ({ scope: 'tenant' })),
  },
  // Owners see every request of the tenant, admins the connections' (privacy.manage).
  'GET /api/v1/erasure-requests': { rule: PEOPLE },
  // A connection's erasure within its grace period, withdrawn by the tenant with a reason.
  'POST /api/v1/erasure-requests/{id}/cancel': {
    rule: PEOPLE,
    scoped: 'path',
    build: async (t) => ({
      params: { id: await connectionErasure(t) },
      body: { reason: 'asked by mistake' },
    }),
  },
  'GET /api/v1/admin/erasure-requests': { rule: 'operator' },
  // The tenant named twice and the operator's password typed again (every person's is PASSWORD).
  'POST /api/v1/admin/erasure-requests': {
    rule: 'operator',
    build: async () => {
      const fresh = await freshTenant()
      return { body: { tenant_id: fresh.tenantId, tenant_slug: fresh.slug, reauth: { password: PASSWORD } } }
    },
  },
  'POST /api/v1/admin/erasure-requests/{id}/confirm': {
    rule: 'operator',
    build: async () => {
      const { id: requestId, slug } = await ownerErasureRequest()
      return { params: { id: requestId }, body: { tenant_slug: slug, reauth: { password: PASSWORD } } }
    },
  },
  'POST /api/v1/admin/erasure-requests/{id}/cancel': {
    rule: 'operator',
    build: async () => ({
      params: { id: (await ownerErasureRequest()).id },
      body: { reason: 'the owner changed their mind' },
    }),
  },
  'GET /api/v1/admin/erasure-receipts': { rule: 'operator' },
  'GET /api/v1/admin/processing-records': { rule: 'operator' },

  // Metrics (module metrics): every role and every key reads.
  'GET /api/v1/metrics': { rule: READ },
  'GET /api/v1/metrics/points': { rule: READ },
  'GET /api/v1/metrics/summary': { rule: READ },
  'GET /api/v1/metrics/export': { rule: READ, build: async () => ({ query: 'format=csv' }) },
  'GET /api/v1/metrics/webhooks': { rule: READ },

  // Calendar (module calendar): every role reads; owners, admins and admin keys manage.
  'GET /api/v1/calendar/properties': { rule: READ },
  'POST /api/v1/calendar/properties': {
    rule: MANAGE,
    build: body(() => ({ name: `Casa ${unique()}`, timezone: 'America/Sao_Paulo' })),
  },
  'GET /api/v1/calendar/properties/{id}': { rule: READ, scoped: 'path', build: id(property) },
  'PATCH /api/v1/calendar/properties/{id}': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({ params: { id: await property(t) }, body: { name: `Casa ${unique()}` } }),
  },
  'DELETE /api/v1/calendar/properties/{id}': { rule: MANAGE, scoped: 'path', build: id(property) },
  'POST /api/v1/calendar/properties/{id}/ical-token': { rule: MANAGE, scoped: 'path', build: id(property) },
  'DELETE /api/v1/calendar/properties/{id}/ical-token': { rule: MANAGE, scoped: 'path', build: id(property) },
  'GET /api/v1/calendar/sources': { rule: READ },
  'POST /api/v1/calendar/sources': {
    rule: MANAGE,
    scoped: 'body',
    build: async (t) => ({
      body: { property_id: await property(t), channel: 'airbnb', ical_url: newFeed().url },
    }),
  },
  'GET /api/v1/calendar/sources/{id}': { rule: READ, scoped: 'path', build: id(source) },
  'PATCH /api/v1/calendar/sources/{id}': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({ params: { id: await source(t) }, body: { status: 'paused' } }),
  },
  'DELETE /api/v1/calendar/sources/{id}': { rule: MANAGE, scoped: 'path', build: id(source) },
  'POST /api/v1/calendar/sources/{id}/sync': { rule: MANAGE, scoped: 'path', build: id(source) },
  'GET /api/v1/calendar/sources/{id}/runs': { rule: READ, scoped: 'path', build: id(source) },
  'GET /api/v1/calendar/bookings': { rule: READ },
  'POST /api/v1/calendar/bookings': {
    rule: MANAGE,
    scoped: 'body',
    build: async (t) => ({
      body: { property_id: await property(t), check_in: '2027-05-01', check_out: '2027-05-03' },
    }),
  },
  'GET /api/v1/calendar/bookings/{id}': { rule: READ, scoped: 'path', build: id(booking) },
  'PATCH /api/v1/calendar/bookings/{id}': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({ params: { id: await booking(t) }, body: { notes: 'late arrival' } }),
  },
  'DELETE /api/v1/calendar/bookings/{id}': { rule: MANAGE, scoped: 'path', build: id(booking) },
  'GET /api/v1/calendar/conflicts': { rule: READ },
  'GET /api/v1/calendar/alerts': { rule: READ },
  'PUT /api/v1/calendar/alerts': {
    rule: MANAGE,
    build: body(() => ({ telegram_bot_token: plant(newBotToken()), telegram_chat_id: newChatId() })),
  },
  'GET /api/v1/calendar/statistics': { rule: READ },

  // Scheduling (module scheduling): every role reads; owners, admins and admin keys manage the
  // catalogue and book (scheduling.book has the same roles today).
  'GET /api/v1/scheduling/services': { rule: READ },
  'POST /api/v1/scheduling/services': {
    rule: MANAGE,
    build: body(() => ({ name: `Consulta ${unique()}`, duration_minutes: 45 })),
  },
  'GET /api/v1/scheduling/services/{id}': { rule: READ, scoped: 'path', build: id(schedulingService) },
  'PATCH /api/v1/scheduling/services/{id}': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({ params: { id: await schedulingService(t) }, body: { price_cents: 20000 } }),
  },
  'DELETE /api/v1/scheduling/services/{id}': { rule: MANAGE, scoped: 'path', build: id(schedulingService) },
  'GET /api/v1/scheduling/professionals': { rule: READ },
  'POST /api/v1/scheduling/professionals': {
    rule: MANAGE,
    build: body(() => ({ name: `Dra. ${unique()}`, time_zone: 'America/Sao_Paulo' })),
  },
  'GET /api/v1/scheduling/professionals/{id}': { rule: READ, scoped: 'path', build: id(professional) },
  'PATCH /api/v1/scheduling/professionals/{id}': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({ params: { id: await professional(t) }, body: { time_zone: 'Europe/Lisbon' } }),
  },
  'GET /api/v1/scheduling/professionals/{id}/working-plan': {
    rule: READ,
    scoped: 'path',
    build: id(professional),
  },
  'PUT /api/v1/scheduling/professionals/{id}/working-plan': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({
      params: { id: await professional(t) },
      body: { days: [{ weekday: 6, hours: [{ start: '08:00', end: '12:00' }] }] },
    }),
  },
  'GET /api/v1/scheduling/professionals/{id}/exceptions': {
    rule: READ,
    scoped: 'path',
    build: id(professional),
  },
  'PUT /api/v1/scheduling/professionals/{id}/exceptions': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({
      params: { id: await professional(t) },
      body: { date: '2027-03-03', kind: 'hours', hours: { start: '10:00', end: '14:00' } },
    }),
  },
  'DELETE /api/v1/scheduling/professionals/{id}/exceptions/{exceptionId}': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({ params: await exception(t) }),
  },
  'GET /api/v1/scheduling/blocked-periods': { rule: READ },
  'POST /api/v1/scheduling/blocked-periods': {
    rule: MANAGE,
    build: body(() => ({
      starts_at: '2027-04-21T00:00:00-03:00',
      ends_at: '2027-04-22T00:00:00-03:00',
      reason: 'Tiradentes',
    })),
  },
  // Scheduled reports (issue 18): recipients' addresses are the tenant's clients', so not viewers.
  'GET /api/v1/reports/schedules': { rule: MESSAGES },
  'POST /api/v1/reports/schedules': { rule: MANAGE, build: body(() => REPORT_SCHEDULE) },
  'DELETE /api/v1/reports/schedules/{id}': { rule: MANAGE, scoped: 'path', build: id(reportSchedule) },
  'PATCH /api/v1/reports/schedules/{id}': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({ params: { id: await reportSchedule(t) }, body: { active: false } }),
  },
  'POST /api/v1/reports/schedules/{id}/preview': {
    rule: { roles: ['owner', 'admin', 'analyst'], keys: false },
    scoped: 'path',
    build: id(reportSchedule),
  },
  'GET /api/v1/reports/runs': { rule: MESSAGES },
  'GET /api/v1/reports/runs/{id}/file': { rule: MESSAGES, scoped: 'path', build: id(heldReportRun) },
  'POST /api/v1/reports/runs/{id}/release': { rule: MANAGE, scoped: 'path', build: id(heldReportRun) },
  'POST /api/v1/reports/runs/{id}/skip': { rule: MANAGE, scoped: 'path', build: id(heldReportRun) },
  'DELETE /api/v1/scheduling/blocked-periods/{id}': {
    rule: MANAGE,
    scoped: 'path',
    build: id(blockedPeriod),
  },
  'GET /api/v1/scheduling/availability': {
    rule: READ,
    build: async (t) => ({ query: `service_id=${await schedulingService(t)}&from=2027-03-01&to=2027-03-07` }),
  },
  'GET /api/v1/scheduling/appointments': { rule: READ },
  'POST /api/v1/scheduling/appointments': {
    rule: MANAGE,
    scoped: 'body',
    build: async (t) => {
      const { professional: pro, service } = await clinic(t.call)
      return {
        body: {
          service_id: service.id,
          professional_id: pro.id,
          starts_at: '2027-03-01T10:00:00-03:00',
          customer: { name: 'Maria', phone: '11 91234-5678' },
        },
      }
    },
  },
  'GET /api/v1/scheduling/appointments/{id}': { rule: READ, scoped: 'path', build: id(appointment) },
  'POST /api/v1/scheduling/appointments/{id}/reschedule': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({
      params: { id: await appointment(t) },
      body: { starts_at: '2027-03-01T11:00:00-03:00' },
    }),
  },
  'POST /api/v1/scheduling/appointments/{id}/status': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({ params: { id: await appointment(t) }, body: { status: 'cancelled' } }),
  },
  // Scheduling reminders: rules are catalogue (manage); another tenant's service is 404.
  'GET /api/v1/scheduling/reminder-rules': { rule: READ },
  'PUT /api/v1/scheduling/reminder-rules': {
    rule: MANAGE,
    scoped: 'body',
    build: async (t) => ({ body: { service_id: await schedulingService(t), minutes_before: [1440, 120] } }),
  },
  // One customer's erasure from scheduling: a person's act (privacy.manage), never a key's.
  'POST /api/v1/scheduling/customers/{id}/erasure': {
    rule: PEOPLE,
    scoped: 'path',
    build: async (t) => ({ params: { id: await schedulingCustomer(t) } }),
  },
  'GET /api/v1/scheduling/stats': {
    rule: READ,
    build: async () => ({ query: 'from=2027-03-01&to=2027-03-31' }),
  },
  // The reminder template: an approved one of the tenant's store; another tenant's is 400 like unknown.
  'PUT /api/v1/scheduling/reminder-template': {
    rule: MANAGE,
    scoped: 'body',
    build: async (t) => ({ body: { template_id: await approvedTemplate(t) } }),
  },

  // Messaging (the outbox, every module's): the tenant's customers' contacts, so viewers do not read.
  'GET /api/v1/messages': { rule: MESSAGES },
  'GET /api/v1/messages/{id}': { rule: MESSAGES, scoped: 'path', build: id(outboundMessage) },

  // Attendance (the WhatsApp inbox): the customers' conversations, so viewers do not read; owners,
  // admins, their keys and agents answer; owners and admins manage numbers and templates; a
  // contact's erasure is a person's (privacy.manage).
  'GET /api/v1/attendance/numbers': { rule: INBOX_READ },
  'POST /api/v1/attendance/numbers': {
    rule: MANAGE,
    scoped: 'body',
    build: async (t) => ({
      body: {
        connection_id: (await attendanceConversation(t)).connectionId,
        phone_number_id: uniqueAccount('1099'),
        display_number: '+55 11 4000-2000',
      },
    }),
  },
  'GET /api/v1/attendance/numbers/{id}/templates': {
    rule: INBOX_READ,
    scoped: 'path',
    build: id(attendanceNumber),
  },
  'POST /api/v1/attendance/numbers/{id}/templates/sync': {
    rule: MANAGE,
    scoped: 'path',
    build: id(attendanceNumber),
  },
  'GET /api/v1/attendance/conversations': { rule: INBOX_READ },
  'GET /api/v1/attendance/conversations/{id}': { rule: INBOX_READ, scoped: 'path', build: id(conversation) },
  'GET /api/v1/attendance/conversations/{id}/messages': {
    rule: INBOX_READ,
    scoped: 'path',
    build: id(conversation),
  },
  'POST /api/v1/attendance/conversations/{id}/messages': {
    rule: INBOX_REPLY,
    scoped: 'path',
    build: async (t) => ({
      params: { id: await conversation(t) },
      body: { type: 'text', client_message_id: unique(), text: 'Olá!' },
    }),
  },
  'POST /api/v1/attendance/conversations/{id}/notes': {
    rule: INBOX_REPLY,
    scoped: 'path',
    build: async (t) => ({ params: { id: await conversation(t) }, body: { text: 'nota' } }),
  },
  'POST /api/v1/attendance/conversations/{id}/assign': {
    rule: INBOX_REPLY,
    scoped: 'path',
    build: async (t) => ({ params: { id: await conversation(t) }, body: { assignee_id: null } }),
  },
  'POST /api/v1/attendance/conversations/{id}/status': {
    rule: INBOX_REPLY,
    scoped: 'path',
    build: async (t) => ({ params: { id: await conversation(t) }, body: { status: 'resolved' } }),
  },
  'GET /api/v1/attendance/contacts/{id}': { rule: INBOX_READ, scoped: 'path', build: id(contact) },
  'PATCH /api/v1/attendance/contacts/{id}': {
    rule: INBOX_REPLY,
    scoped: 'path',
    build: async (t) => ({ params: { id: await contact(t) }, body: { name: 'Cliente' } }),
  },
  'DELETE /api/v1/attendance/contacts/{id}': { rule: PEOPLE, scoped: 'path', build: id(contact) },
  'GET /api/v1/attendance/usage': { rule: INBOX_READ },
  // Teams and round-robin: owners and admins manage teams and a number's team; whoever answers
  // marks themself away (a person's presence: no key).
  'GET /api/v1/attendance/teams': { rule: INBOX_READ },
  'POST /api/v1/attendance/teams': {
    rule: MANAGE,
    build: async () => ({ body: { name: `Equipe ${unique()}`, member_ids: [] } }),
  },
  'PUT /api/v1/attendance/numbers/{id}/team': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({ params: { id: await attendanceNumber(t) }, body: { team_id: null } }),
  },
  'PUT /api/v1/attendance/presence': {
    rule: { roles: ['owner', 'admin', 'agent'], keys: false },
    build: async () => ({ body: { away: false } }),
  },
  'GET /api/v1/attendance/reports': {
    rule: INBOX_READ,
    build: async () => ({ query: 'from=2026-11-01&to=2026-11-30' }),
  },
  // Business hours and the away message (0044): read by the inbox, set by owners and admins; a
  // team's members and round-robin switch likewise.
  'GET /api/v1/attendance/hours': { rule: INBOX_READ },
  'PUT /api/v1/attendance/hours': {
    rule: MANAGE,
    build: async () => ({
      body: {
        time_zone: 'America/Sao_Paulo',
        weekly: [{ weekday: 1, start: '09:00', end: '18:00' }],
        exceptions: [],
        away_message: 'Voltamos às 9h.',
        away_now: false,
      },
    }),
  },
  'PATCH /api/v1/attendance/teams/{id}': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({ params: { id: await attendanceTeam(t) }, body: { round_robin: false } }),
  },

  // The admin central: operators only.
  'GET /api/v1/admin/dashboard': { rule: 'operator' },
  'POST /api/v1/admin/tenants': {
    rule: 'operator',
    build: body(() => ({ slug: `matrix-${unique()}`, name: 'Matrix' })),
  },
  'GET /api/v1/admin/tenants': { rule: 'operator' },
  'GET /api/v1/admin/tenants/{id}': {
    rule: 'operator',
    build: id(async () => (await freshTenant()).tenantId),
  },
  'PATCH /api/v1/admin/tenants/{id}': {
    rule: 'operator',
    build: async () => ({ params: { id: (await freshTenant()).tenantId }, body: { name: 'Renamed' } }),
  },
  'DELETE /api/v1/admin/tenants/{id}': {
    rule: 'operator',
    build: id(async () => (await freshTenant()).tenantId),
  },
  'POST /api/v1/admin/tenants/{id}/suspend': {
    rule: 'operator',
    build: id(async () => (await freshTenant()).tenantId),
  },
  'POST /api/v1/admin/tenants/{id}/reactivate': {
    rule: 'operator',
    build: id(async () => (await createTenant(db, { tenantStatus: 'suspended' })).tenantId),
  },
  'POST /api/v1/admin/tenants/{id}/users': {
    rule: 'operator',
    build: async () => ({
      params: { id: (await freshTenant()).tenantId },
      body: { email: `owner-${unique()}@example.test`, name: 'Owner', role: 'owner', password: NEW_PASSWORD },
    }),
  },
  'GET /api/v1/admin/tenants/{id}/users': {
    rule: 'operator',
    build: id(async () => (await freshTenant()).tenantId),
  },
  'POST /api/v1/admin/users/{id}/deactivate': {
    rule: 'operator',
    build: id(async () => (await createMember(db, (await freshTenant()).tenantId, 'viewer')).id),
  },
  'POST /api/v1/admin/users/{id}/password-reset': {
    rule: 'operator',
    build: id(async () => (await createMember(db, (await freshTenant()).tenantId, 'viewer')).id),
  },
  'POST /api/v1/admin/plans': {
    rule: 'operator',
    build: body(() => ({ code: `matrix-${unique()}`, name: 'Matrix', modules: ['metrics'], limits: LIMITS })),
  },
  'GET /api/v1/admin/plans': { rule: 'operator' },
  'PATCH /api/v1/admin/plans/{id}': {
    rule: 'operator',
    build: async () => ({ params: { id: (await freshTenant()).planId }, body: { name: 'Renamed' } }),
  },
  'POST /api/v1/admin/plans/{id}/retire': {
    rule: 'operator',
    build: id(async () => (await freshTenant()).planId),
  },
  'POST /api/v1/admin/licenses': {
    rule: 'operator',
    build: async () => {
      const fresh = await createTenant(db, {
        licenseStatus: 'expired',
        validUntil: new Date(Date.now() - 3_600_000),
      })
      return { body: { tenant_id: fresh.tenantId, plan_id: fresh.planId, days: 30 } }
    },
  },
  'GET /api/v1/admin/licenses': { rule: 'operator' },
  'POST /api/v1/admin/licenses/{id}/activate': {
    rule: 'operator',
    build: id(async () => (await createTenant(db, { licenseStatus: 'suspended' })).licenseId),
  },
  'POST /api/v1/admin/licenses/{id}/suspend': {
    rule: 'operator',
    build: id(async () => (await freshTenant()).licenseId),
  },
  'POST /api/v1/admin/licenses/{id}/expire': {
    rule: 'operator',
    build: id(async () => (await freshTenant()).licenseId),
  },
  'POST /api/v1/admin/licenses/{id}/renew': {
    rule: 'operator',
    build: async () => ({ params: { id: (await freshTenant()).licenseId }, body: { days: 30 } }),
  },
  'GET /api/v1/admin/audit': { rule: 'operator' },

  // Meta webhook settings: the secrets are written, never read back.
  'GET /api/v1/webhooks/meta/settings': { rule: READ },
  'PUT /api/v1/webhooks/meta/settings': {
    rule: MANAGE,
    build: body(() => ({
      app_secret: plant(`meta-app-secret-${crypto.randomUUID()}`),
      verify_token: plant(`verify-${crypto.randomUUID()}`),
    })),
  },

  'GET /api/v1/openapi.json': { rule: 'public' },

  // Commerce (module commerce): every role reads; owners, admins and admin keys manage the
  // stores and catalog; analysts (and analyst keys) also move orders through the board.
  'GET /api/v1/commerce/stores': { rule: READ },
  'POST /api/v1/commerce/stores': {
    rule: MANAGE,
    build: body(() => ({
      name: `Loja ${unique()}`,
      street: 'Av. Paulista, 1000',
      city: 'São Paulo',
      state: 'SP',
      cep: '01310-100',
      latitude: -23.56,
      longitude: -46.65,
    })),
  },
  'GET /api/v1/commerce/stores/{id}': { rule: READ, scoped: 'path', build: id(commerceStore) },
  'PATCH /api/v1/commerce/stores/{id}': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({ params: { id: await commerceStore(t) }, body: { minimum_order_cents: 1500 } }),
  },
  'PUT /api/v1/commerce/stores/{id}/shipping-bands': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({
      params: { id: await commerceStore(t) },
      body: { bands: [{ max_km: 3, price_cents: 500 }] },
    }),
  },
  'GET /api/v1/commerce/products': { rule: READ },
  'POST /api/v1/commerce/products': {
    rule: MANAGE,
    build: body(() => ({ name: 'Café', price_cents: 1000 })),
  },
  'GET /api/v1/commerce/products/{id}': { rule: READ, scoped: 'path', build: id(commerceProduct) },
  'PATCH /api/v1/commerce/products/{id}': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({ params: { id: await commerceProduct(t) }, body: { price_cents: 1200 } }),
  },
  'POST /api/v1/commerce/stock/adjustments': {
    rule: MANAGE,
    scoped: 'body',
    build: async (t) => ({
      body: {
        store_id: await commerceStore(t),
        product_id: await commerceProduct(t),
        delta: 10,
        kind: 'restock',
        reason: 'delivery from the supplier',
      },
    }),
  },
  'GET /api/v1/commerce/orders': { rule: READ },
  'GET /api/v1/commerce/orders/{id}': { rule: READ, scoped: 'path', build: id(paidOrder) },
  'POST /api/v1/commerce/orders/{id}/transitions': {
    rule: FULFIL,
    scoped: 'path',
    build: async (t) => ({ params: { id: await paidOrder(t) }, body: { to: 'accepted' } }),
  },

  // The public storefront API (commerce): no credential, whatever a caller sends; the shop is the
  // `X-Tenant` header. Rate-limited per client address (the limiter is off here; its own tests
  // are in test/api/shop/checkout.test.ts). Another shop's ids under this shop's header are 404
  // there too; here each caller names its own tenant's shop.
  'GET /shop-api/v1/stores': {
    rule: 'public',
    build: async (t) => ({ headers: (await storefront(t)).headers }),
  },
  'GET /shop-api/v1/catalog': {
    rule: 'public',
    build: async (t) => {
      const shop = await storefront(t)
      return { headers: shop.headers, query: `store=${shop.storeId}` }
    },
  },
  'POST /shop-api/v1/shipping/quote': {
    rule: 'public',
    build: async (t) => {
      const shop = await storefront(t)
      return { headers: shop.headers, body: { store_id: shop.storeId, cep: '01305-000' } }
    },
  },
  'POST /shop-api/v1/checkout/preview': {
    rule: 'public',
    build: async (t) => {
      const shop = await storefront(t)
      return { headers: shop.headers, body: pickupCart(shop) }
    },
  },
  'POST /shop-api/v1/checkout': {
    rule: 'public',
    build: async (t) => {
      const shop = await storefront(t)
      return {
        headers: { ...shop.headers, 'idempotency-key': `matrix-${crypto.randomUUID()}` },
        body: {
          ...pickupCart(shop),
          customer: { name: 'Cliente Matriz', phone: '11 91234-5678' },
          expected: { shipping_cents: 0, total_cents: 1000 },
        },
      }
    },
  },
  'GET /shop-api/v1/orders/{id}': {
    rule: 'public',
    build: async (t) => {
      const orderId = await paidOrder(t)
      const token = (await trackingToken(loadConfig(env), orderId)) as string
      return { headers: { 'x-tenant': t.slug }, params: { id: orderId }, query: `token=${token}` }
    },
  },
  // Commerce campaigns and coupons: every role reads the results; owners, admins and admin keys
  // create, change and end them (commerce.campaigns.manage).
  'GET /api/v1/commerce/campaigns': { rule: READ },
  'POST /api/v1/commerce/campaigns': {
    rule: MANAGE,
    build: body(() => ({
      name: 'Verão',
      code: `CUPOM-${unique()}`,
      target: 'order',
      kind: 'fixed',
      value: 500,
    })),
  },
  'GET /api/v1/commerce/campaigns/{id}': { rule: READ, scoped: 'path', build: id(commerceCampaign) },
  'PATCH /api/v1/commerce/campaigns/{id}': {
    rule: MANAGE,
    scoped: 'path',
    build: async (t) => ({ params: { id: await commerceCampaign(t) }, body: { end: true } }),
  },
}

/**
 * The module whose license an operation needs: a module's routes live under its paths. Written
 * here, apart from the routes' own declarations, which the matrix checks against it.
 */
const MODULE_PATHS: readonly (readonly [RegExp, Module])[] = [
  [/^\/api\/v1\/calendar\//, 'calendar'],
  [/^\/api\/v1\/commerce\//, 'commerce'],
  [/^\/api\/v1\/attendance\//, 'attendance'],
  [/^\/api\/v1\/scheduling\//, 'scheduling'],
  [/^\/api\/v1\/(connections|metrics)(\/|$)/, 'metrics'],
  [/^\/api\/v1\/webhooks\/meta\/settings$/, 'metrics'],
  // Scheduled reports are part of the metrics module.
  [/^\/api\/v1\/reports\//, 'metrics'],
]
const moduleOf = (path: string) => MODULE_PATHS.find(([pattern]) => pattern.test(path))?.[1]

/** The principal a matrix caller is, to check a route's declaration without a request. */
function principalOf(caller: Exclude<Caller, { kind: 'anonymous' }>): Principal {
  if (caller.kind === 'operator')
    return { kind: 'operator', id: 'opr', sessionId: 'ses', role: 'operator', tenantId: null }
  if (caller.kind === 'member')
    return { kind: 'member', id: 'usr', sessionId: 'ses', role: caller.role, tenantId: caller.tenant }
  return { kind: 'api_key', id: 'key', role: caller.role, tenantId: caller.tenant }
}

/** Whether a route's `permit()` lets the caller through (the same checks `validate()` runs). */
function permits(declared: Permit, caller: Exclude<Caller, { kind: 'anonymous' }>): boolean {
  try {
    for (const requirement of declared.requirements) authorizeRequirement(principalOf(caller), requirement)
    return true
  } catch {
    return false
  }
}

/**
 * The request made invalid where the route validates it: the body (an array where an object is
 * expected), one query parameter (a NUL, which no parameter accepts), or, for a route with
 * neither, a path parameter. Everything else is the valid request's, so its resources are real.
 */
function invalidVariants(operation: Operation, handlers: readonly object[], request: Request) {
  const targets = new Set(handlers.map((handler) => validationOf(handler)?.target))
  const variants: { what: string; request: Request }[] = []
  if (targets.has('json')) variants.push({ what: 'invalid body', request: { ...request, body: [] } })
  const queryName = operation.parameters.find((parameter) => parameter.in === 'query')?.name
  if (targets.has('query') && queryName) {
    const query = new URLSearchParams(request.query)
    query.set(queryName, '\u0000')
    variants.push({ what: `invalid query ${queryName}`, request: { ...request, query: query.toString() } })
  }
  const pathName = operation.parameters.find((parameter) => parameter.in === 'path')?.name
  if (variants.length === 0 && targets.has('param') && pathName)
    variants.push({
      what: `invalid path {${pathName}}`,
      request: { ...request, params: { ...request.params, [pathName]: '\u0000' } },
    })
  return variants
}

/** What the rule says of a caller: let through, or refused with which status. */
function verdict(rule: Rule, caller: Caller): 'allowed' | 401 | 403 {
  if (rule === 'public') return 'allowed'
  if (caller.kind === 'anonymous') return 401
  if (rule === 'anyone') return 'allowed'
  if (rule === 'person') return caller.kind === 'api_key' ? 403 : 'allowed'
  if (rule === 'operator') return caller.kind === 'operator' ? 'allowed' : 403
  if (caller.kind === 'operator') return 403
  if (caller.kind === 'api_key' && !rule.keys) return 403
  return (rule.roles as readonly string[]).includes(caller.role) ? 'allowed' : 403
}

// Credentials per caller: members and operators sign in; keys are minted by their tenant's owner.
const callerEmail = new Map<Caller, string>()
const credentials = new Map<Caller, string>()

/** A credential for the caller: the same one each time, unless `fresh` asks a person to sign in anew. */
async function signIn(caller: Caller, fresh: boolean): Promise<string | undefined> {
  if (caller.kind === 'anonymous') return undefined
  fresh &&= caller.kind !== 'api_key'
  if (!fresh && credentials.has(caller)) return credentials.get(caller)
  let credential: string
  if (caller.kind === 'api_key') {
    const created_ = await created<{ key: string }>(
      await tenants[caller.tenant].call('/api/v1/api-keys', {
        method: 'POST',
        json: { name: `matrix ${caller.role}`, role: caller.role },
      }),
    )
    credential = issue(created_.key)
  } else {
    const person =
      caller.kind === 'operator'
        ? await createOperator(db)
        : await createMember(db, tenants[caller.tenant].tenantId, caller.role)
    callerEmail.set(caller, person.email)
    const tokens = await login(db, person.email)
    issue(tokens.refresh_token)
    credential = issue(tokens.access_token)
  }
  if (!fresh) credentials.set(caller, credential)
  return credential
}

/**
 * Everything the Worker writes to the console during the matrix. Spied per test (the runner sets
 * up the console for each test), not with captureLogs, which cannot nest: callers run concurrently.
 */
const logged: string[] = []
let consoleSpies: MockInstance[] = []
beforeEach(() => {
  consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
    vi.spyOn(console, method).mockImplementation(() => {}),
  )
})
afterEach(() => {
  for (const spy of consoleSpies) {
    for (const args of spy.mock.calls)
      logged.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '))
    spy.mockRestore()
  }
})
const responseTexts: string[] = []
let requestsSent = 0

async function send(
  method: string,
  path: string,
  request: Request,
  credential: string | undefined,
): Promise<{ response: Response; text: string }> {
  let url = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = request.params?.[name]
    if (value === undefined) throw new Error(`no value for {${name}} in ${path}`)
    return encodeURIComponent(value)
  })
  if (request.query) url += `?${request.query}`
  const headers = new Headers(request.headers)
  if (credential) headers.set('authorization', `Bearer ${credential}`)
  if (request.body !== undefined) headers.set('content-type', 'application/json')
  requestsSent++
  const response = await callWorker(env, url, {
    method,
    headers,
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
  })
  const text = await response.text()
  responseTexts.push(text)
  return { response, text }
}

/** What every answer must carry, whoever asked. */
function checkCommon(response: Response, text: string, problems: string[], where: string) {
  const headers = response.headers
  const expected: [string, RegExp][] = [
    [
      'content-security-policy',
      /object-src 'none'.*frame-ancestors 'none'|frame-ancestors 'none'.*object-src 'none'/,
    ],
    ['strict-transport-security', /max-age=\d+/],
    ['x-content-type-options', /^nosniff$/],
    ['referrer-policy', /^strict-origin-when-cross-origin$/],
    ['x-frame-options', /^DENY$/],
    ['x-request-id', /^[\w-]{8,}$/],
  ]
  for (const [name, pattern] of expected)
    if (!pattern.test(headers.get(name) ?? ''))
      problems.push(`${where}: header ${name} = ${headers.get(name)}`)
  if (response.status >= 500) problems.push(`${where}: ${response.status} ${text.slice(0, 200)}`)
  if (response.status >= 400) {
    let envelope: { error?: { code?: unknown; message?: unknown; requestId?: unknown } } = {}
    try {
      envelope = JSON.parse(text)
    } catch {}
    const error = envelope.error
    if (
      typeof error?.code !== 'string' ||
      typeof error.message !== 'string' ||
      error.requestId !== headers.get('x-request-id')
    )
      problems.push(`${where}: not the error envelope: ${text.slice(0, 200)}`)
  }
}

let documented: string[] = []
let operations = new Map<string, Operation>()
let routes = new Map<string, object[]>()
/** The owner of a tenant whose plan has no module: every module operation refuses them. */
let withoutModules: string

beforeAll(async () => {
  db = await createTestDatabase()
  // The rate limiter has its own tests (rate-limit.test.ts); here it would only cut the matrix
  // short. Queue sends are recorded, not delivered (the real consumer reads the shared database).
  env = {
    ...db.env,
    API_RATE_LIMITER: undefined,
    JOBS: captureQueue().queue,
    WEBHOOKS: captureQueue().queue,
    // OAuth start answers 503 OAUTH_NOT_CONFIGURED without a platform app.
    INSTAGRAM_CLIENT_ID: 'matrix-app',
    INSTAGRAM_CLIENT_SECRET: plant(`matrix-client-secret-${unique()}`),
  } as unknown as TestBindings
  for (const name of ['A', 'B'] as const) {
    const fixture = await createTenant(db, {
      modules: ['metrics', 'calendar', 'attendance', 'commerce', 'scheduling'],
      usersLimit: 1000,
      connectionsLimit: 1000,
      storesLimit: 1000,
    })
    const owner = await createMember(db, fixture.tenantId, 'owner')
    const { access_token } = await login(db, owner.email)
    tenants[name] = {
      name,
      tenantId: fixture.tenantId,
      slug: fixture.slug,
      ownerEmail: owner.email,
      call: as({ ...db, env }, access_token),
    }
  }
  const bare = await createTenant(db, { modules: [] })
  withoutModules = issue(
    (await login(db, (await createMember(db, bare.tenantId, 'owner')).email)).access_token,
  )
  operations = new Map((await loadOperations(env)).map((operation) => [operation.key, operation]))
  documented = [...operations.keys()].sort()
  routes = apiRoutes()
})

describe('the API security matrix (generated from the OpenAPI document)', () => {
  it('has a rule for every documented operation, and no rule for an operation that is gone', () => {
    expect(documented.length).toBeGreaterThan(90)
    expect(Object.keys(POLICY).sort()).toEqual(documented)
  })

  it('each route declares (permit()) whom its rule admits and the module its paths belong to', () => {
    const problems: string[] = []
    let declarations = 0
    for (const [operation, policy] of Object.entries(POLICY)) {
      const declared = (routes.get(operation) ?? []).map(permitOf).find(Boolean)
      // A route that validates nothing declares nothing (permit.test.ts: every other one does).
      if (!declared) continue
      declarations++
      const rule = policy.route ?? policy.rule
      for (const caller of CALLERS) {
        if (caller.kind === 'anonymous') continue
        const expected = verdict(rule, caller) === 'allowed'
        if (permits(declared, caller) !== expected)
          problems.push(
            `${operation}: permit(${declared.requirements.join(', ')}) ${expected ? 'refuses' : 'admits'} ${label(caller)}`,
          )
      }
      const module = moduleOf(operation.split(' ')[1] as string)
      if (declared.module !== module)
        problems.push(`${operation}: declares module ${declared.module}, its path belongs to ${module}`)
    }
    expect(declarations).toBeGreaterThan(70)
    expect(problems).toEqual([])
  })

  // One test per operation; the operations come from the document (checked above to match).
  it.each(Object.keys(POLICY))(
    '%s: each caller gets what the rule says',
    { timeout: 120_000 },
    async (operation) => {
      const [method, path] = operation.split(' ') as [string, string]
      const policy = POLICY[operation] as Policy
      const problems: string[] = []
      const handlers = routes.get(operation) ?? []
      const module = moduleOf(path)
      // Requests that change nothing (reads, and every refused call) share one build per tenant;
      // an allowed write gets resources of its own, so no case sees another's leftovers.
      const shared = new Map<string, Promise<Request>>()
      const build = (resources: TenantName, self: string | undefined, reuse: boolean) => {
        if (!policy.build) return Promise.resolve({})
        const make = () => (policy.build as Build)(tenants[resources], self ? { email: self } : undefined)
        const key = `${resources}:${self ?? ''}`
        if (!reuse) return make()
        if (!shared.has(key)) shared.set(key, make())
        return shared.get(key) as Promise<Request>
      }
      // Callers run side by side (each with its own credential and resources): the Worker's
      // awaits on Postgres overlap, which makes the whole matrix several times faster.
      const each = CALLERS.map(async (caller) => {
        const verdictOf = verdict(policy.rule, caller)
        const own = caller.kind === 'member' || caller.kind === 'api_key' ? caller.tenant : 'A'
        const other: TenantName = own === 'A' ? 'B' : 'A'
        const cases: [TenantName, 'own' | 'other'][] = [[own, 'own']]
        if (policy.scoped && verdictOf !== 401 && caller.kind !== 'operator') cases.push([other, 'other'])
        for (const [resources, whose] of cases) {
          const allowed = verdictOf === 'allowed'
          const credential = await signIn(caller, allowed && Boolean(policy.freshCaller))
          const self = allowed && whose === 'own' ? callerEmail.get(caller) : undefined
          const request = await build(resources, self, !allowed || method === 'GET')
          // Before the valid request, which may end the caller's session.
          if (whose === 'own')
            for (const variant of invalidVariants(
              operations.get(operation) as Operation,
              handlers,
              request,
            )) {
              const refused = verdict(policy.route ?? policy.rule, caller)
              const sent = await send(method, path, variant.request, credential)
              const where = `${label(caller)} with ${variant.what} → ${sent.response.status}`
              checkCommon(sent.response, sent.text, problems, where)
              const expected = refused === 'allowed' ? 400 : refused
              if (
                sent.response.status !== expected ||
                (refused !== 'allowed' && sent.text.includes('"fields"'))
              )
                problems.push(`${where}, expected ${expected}: ${sent.text.slice(0, 160)}`)
            }
          const { response, text } = await send(method, path, request, credential)
          const where = `${label(caller)} with ${whose} resources → ${response.status}`
          checkCommon(response, text, problems, where)
          const status = response.status
          if (!allowed) {
            if (status !== verdictOf) problems.push(`${where}, expected ${verdictOf}: ${text.slice(0, 160)}`)
          } else if (whose === 'other') {
            if (status !== (policy.scoped === 'body' ? 400 : 404))
              problems.push(
                `${where}, expected the unknown-id answer for the other tenant's resource: ${text.slice(0, 160)}`,
              )
          } else if (!(status >= 200 && status < 300) && !policy.alsoOk?.includes(status)) {
            problems.push(`${where}, expected 2xx: ${text.slice(0, 160)}`)
          }
        }
      })
      // A tenant whose plan lacks the module is refused first, whatever it sends.
      if (module) {
        each.push(
          (async () => {
            const request = await build('A', undefined, true)
            const variants = invalidVariants(operations.get(operation) as Operation, handlers, request)
            for (const variant of [{ what: 'valid request', request }, ...variants]) {
              const sent = await send(method, path, variant.request, withoutModules)
              const where = `a plan without ${module}, ${variant.what} → ${sent.response.status}`
              checkCommon(sent.response, sent.text, problems, where)
              if (sent.response.status !== 403 || !sent.text.includes('"MODULE_DISABLED"'))
                problems.push(`${where}, expected 403 MODULE_DISABLED: ${sent.text.slice(0, 160)}`)
            }
          })(),
        )
      }
      await Promise.all(each)
      problems.sort()
      expect(problems).toEqual([])
    },
  )

  it('never wrote a planted secret (passwords, tokens, keys, app secrets) to a log line', () => {
    // The matrix above ran first (tests of a file run in order): its logs are all here.
    // One request line per request at least: the spies saw the Worker's logs.
    expect(logged.length).toBeGreaterThanOrEqual(requestsSent)
    const text = logged.join('\n')
    const leaked = [...planted, ...issued].filter((secret) => text.includes(secret))
    expect(leaked).toEqual([])
  })

  it('never echoed a password, platform token or app secret in a response', () => {
    const echoed = [...planted].filter((secret) => responseTexts.some((text) => text.includes(secret)))
    expect(echoed).toEqual([])
  })
})

describe('portal cookies', () => {
  it.each(['app', 'admin'] as const)(
    '/%s login sets __Host- cookies: HttpOnly, Secure, SameSite=Lax, Path=/, no Domain',
    async (area) => {
      const person =
        area === 'admin' ? await createOperator(db) : await createMember(db, tenants.A.tenantId, 'viewer')
      const response = await portalClient(db).login(person.email, area)
      expect(response.status).toBe(303)
      const cookies = response.headers.getSetCookie()
      expect(cookies.map((line) => line.split('=')[0]).sort()).toEqual(
        expect.arrayContaining(['__Host-session']),
      )
      for (const line of cookies) {
        expect(line).toMatch(/^__Host-/)
        expect(line).toMatch(/; Path=\/(;|$)/)
        expect(line).toMatch(/; HttpOnly/)
        expect(line).toMatch(/; Secure/)
        expect(line).toMatch(/; SameSite=(Lax|Strict)/)
        expect(line).not.toMatch(/Domain=/i)
      }
    },
  )
})
