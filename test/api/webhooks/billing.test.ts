import { beforeAll, describe, expect, it } from 'vitest'
import { parseWebhookSecrets, signStandardWebhook } from '../../../worker/auth/standard-webhooks.ts'
import { createTestDatabase, sharedEnv, type TestBindings, type TestDatabase } from '../../helpers/env.ts'
import {
  as,
  createMember,
  createTenant,
  errorCode,
  login,
  type TenantFixture,
} from '../../helpers/fixtures.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const [secret] = parseWebhookSecrets(sharedEnv.BILLING_WEBHOOK_SECRETS ?? '')
const nowSeconds = () => Math.floor(Date.now() / 1000)
const newDeliveryId = () => `msg_${crypto.randomUUID().replaceAll('-', '')}`
const inDays = (days: number) => new Date(Date.now() + days * 86400_000)

type Delivery = {
  id?: string
  timestamp?: number
  key?: Uint8Array
  env?: TestBindings
  /** Replaces the signed body on the wire (tampering). */
  sentBody?: string
  omit?: 'webhook-id' | 'webhook-timestamp' | 'webhook-signature'
  signature?: string
}

/** Sends one signed delivery the way a Standard Webhooks sender does. */
async function deliver(payload: unknown, options: Delivery = {}): Promise<Response> {
  const id = options.id ?? newDeliveryId()
  const timestamp = options.timestamp ?? nowSeconds()
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload)
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature':
      options.signature ??
      (await signStandardWebhook(id, timestamp, body, options.key ?? (secret as Uint8Array))),
  }
  if (options.omit) delete headers[options.omit]
  return callWorker(options.env ?? db.env, '/webhooks/billing', {
    method: 'POST',
    headers,
    body: options.sentBody ?? body,
  })
}

type LicenseRow = {
  status: string
  valid_from: Date
  valid_until: Date
  plan_id: string
  external_ref: string | null
}

async function licenseOf(fixture: TenantFixture): Promise<LicenseRow> {
  const [row] = await db.owner<LicenseRow>(
    'select status, valid_from, valid_until, plan_id, external_ref from licenses where id = $1',
    [fixture.licenseId],
  )
  if (!row) throw new Error('license gone')
  return row
}

async function auditRows(tenantId: string) {
  return db.owner<{
    actor_type: string
    actor_id: string | null
    action: string
    target_id: string
    data: Record<string, unknown>
    request_id: string | null
  }>(
    'select actor_type, actor_id, action, target_id, data, request_id from audit_log where tenant_id = $1 order by created_at',
    [tenantId],
  )
}

async function deliveriesWithId(id: string): Promise<number> {
  const [row] = await db.owner<{ n: string }>(
    "select count(*) as n from webhook_deliveries where provider = 'billing' and delivery_id = $1",
    [id],
  )
  return Number(row?.n)
}

/** Everything a delivery may touch for one tenant, to prove a rejected one touched nothing. */
async function stateOf(fixture: TenantFixture, deliveryId: string) {
  return {
    license: await licenseOf(fixture),
    audit: (await auditRows(fixture.tenantId)).length,
    deliveries: await deliveriesWithId(deliveryId),
  }
}

const activated = (fixture: TenantFixture, data: Record<string, unknown> = {}) => ({
  type: 'license.activated',
  data: { tenant_id: fixture.tenantId, ...data },
})

describe('POST /webhooks/billing: events', () => {
  it('activates the license, sets its validity and writes a billing audit row in the same change', async () => {
    const tenant = await createTenant(db, { licenseStatus: 'past_due' })
    const validUntil = inDays(365)
    const id = newDeliveryId()
    const response = await deliver(
      activated(tenant, { valid_until: validUntil.toISOString(), license_external_ref: 'sub_activate_1' }),
      { id },
    )
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      status: 'processed',
      license: { id: tenant.licenseId, status: 'active', valid_until: validUntil.toISOString() },
    })
    expect(await licenseOf(tenant)).toMatchObject({
      status: 'active',
      valid_until: validUntil,
      external_ref: 'sub_activate_1',
    })
    const audit = await auditRows(tenant.tenantId)
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({
      actor_type: 'billing',
      actor_id: null,
      action: 'license.activated',
      target_id: tenant.licenseId,
      data: {
        delivery_id: id,
        before: { status: 'past_due', external_ref: null },
        after: { status: 'active', valid_until: validUntil.toISOString(), external_ref: 'sub_activate_1' },
      },
    })
    expect(audit[0]?.request_id).toBeTruthy()
    expect(await deliveriesWithId(id)).toBe(1)
  })

  it('renews a license found by its external reference, moving it to another plan by code', async () => {
    const tenant = await createTenant(db, { licenseStatus: 'past_due' })
    const other = await createTenant(db)
    const [plan] = await db.owner<{ code: string }>('select code from plans where id = $1', [other.planId])
    await db.owner("update licenses set external_ref = 'sub_renew_1' where id = $1", [tenant.licenseId])
    const validFrom = new Date()
    const validUntil = inDays(30)
    const response = await deliver({
      type: 'license.renewed',
      data: {
        tenant_slug: tenant.slug,
        license_external_ref: 'sub_renew_1',
        plan_code: plan?.code,
        valid_from: validFrom.toISOString(),
        valid_until: validUntil.toISOString(),
      },
    })
    expect(response.status).toBe(200)
    expect(await licenseOf(tenant)).toMatchObject({
      status: 'active',
      plan_id: other.planId,
      valid_from: validFrom,
      valid_until: validUntil,
    })
    expect((await auditRows(tenant.tenantId)).map((row) => row.action)).toEqual(['license.renewed'])
  })

  it.each([
    ['license.past_due', 'past_due'],
    ['license.canceled', 'canceled'],
  ])('%s sets the status %s and keeps the validity', async (type, status) => {
    const tenant = await createTenant(db)
    const before = await licenseOf(tenant)
    const response = await deliver({ type, data: { tenant_slug: tenant.slug } })
    expect(response.status).toBe(200)
    expect(await licenseOf(tenant)).toEqual({ ...before, status })
    expect((await auditRows(tenant.tenantId)).map((row) => row.action)).toEqual([type])
  })

  it("takes the modules away from the tenant's members when the license is canceled", async () => {
    const tenant = await createTenant(db, { modules: ['metrics'] })
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const me = as(db, (await login(db, owner.email)).access_token)
    const modules = async () =>
      ((await (await me('/api/v1/auth/me')).json()) as { tenant: { modules: string[] } }).tenant.modules
    expect(await modules()).toEqual(['metrics'])
    expect((await deliver({ type: 'license.canceled', data: { tenant_id: tenant.tenantId } })).status).toBe(
      200,
    )
    expect(await modules()).toEqual([])
  })
})

describe('POST /webhooks/billing: idempotency', () => {
  it('answers a second delivery of the same webhook-id 200 duplicate with no effect', async () => {
    const tenant = await createTenant(db, { licenseStatus: 'past_due' })
    const id = newDeliveryId()
    expect((await deliver(activated(tenant), { id })).status).toBe(200)
    const after = await stateOf(tenant, id)
    // Same id, a different (validly signed) event: still the same delivery, so ignored.
    const again = await deliver({ type: 'license.canceled', data: { tenant_id: tenant.tenantId } }, { id })
    expect(again.status).toBe(200)
    expect(await again.json()).toEqual({ status: 'duplicate' })
    expect(await stateOf(tenant, id)).toEqual(after)
    expect(after).toMatchObject({ license: { status: 'active' }, audit: 1, deliveries: 1 })
  })

  it('applies concurrent duplicate deliveries exactly once', async () => {
    const tenant = await createTenant(db, { licenseStatus: 'past_due' })
    const id = newDeliveryId()
    const timestamp = nowSeconds()
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => deliver(activated(tenant), { id, timestamp })),
    )
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    const outcomes = await Promise.all(
      responses.map(async (r) => ((await r.json()) as { status: string }).status),
    )
    expect(outcomes.sort()).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate', 'processed'])
    expect(await stateOf(tenant, id)).toMatchObject({
      license: { status: 'active' },
      audit: 1,
      deliveries: 1,
    })
  })

  it('applies a delivery that was rejected before once it can succeed (a rejection records nothing)', async () => {
    const tenant = await createTenant(db, { licenseStatus: 'past_due' })
    const id = newDeliveryId()
    const event = activated(tenant, { plan_code: 'plan-created-later' })
    expect((await deliver(event, { id })).status).toBe(404)
    await db.owner(
      `insert into plans (id, code, name, modules, users_limit, connections_limit, retention_days, collection_interval_minutes)
       values ('pln_created_later_000000', 'plan-created-later', 'Later', '{metrics}', 1, 1, 30, 60)`,
    )
    const retried = await deliver(event, { id })
    expect(retried.status).toBe(200)
    expect(await licenseOf(tenant)).toMatchObject({ status: 'active', plan_id: 'pln_created_later_000000' })
  })
})

describe('POST /webhooks/billing: signatures', () => {
  it('accepts a delivery signed with the second secret of the list (rotation)', async () => {
    const tenant = await createTenant(db, { licenseStatus: 'past_due' })
    const newest = `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24))))}`
    const env = { ...db.env, BILLING_WEBHOOK_SECRETS: `${newest},${sharedEnv.BILLING_WEBHOOK_SECRETS}` }
    const response = await deliver(activated(tenant), { env })
    expect(response.status).toBe(200)
    expect((await licenseOf(tenant)).status).toBe('active')
    // And the newest one, which only this env knows, signs too.
    const [newestKey] = parseWebhookSecrets(newest)
    const canceled = await deliver(
      { type: 'license.canceled', data: { tenant_id: tenant.tenantId } },
      { env, key: newestKey },
    )
    expect(canceled.status).toBe(200)
    expect((await licenseOf(tenant)).status).toBe('canceled')
  })

  it('refuses a signature made with a secret not in the list: 401, nothing changed', async () => {
    const tenant = await createTenant(db, { licenseStatus: 'past_due' })
    const id = newDeliveryId()
    const before = await stateOf(tenant, id)
    const response = await deliver(activated(tenant), { id, key: crypto.getRandomValues(new Uint8Array(32)) })
    expect(response.status).toBe(401)
    expect(await errorCode(response)).toBe('INVALID_SIGNATURE')
    expect(await stateOf(tenant, id)).toEqual(before)
    // The id was not used up: the genuine delivery still applies.
    expect((await deliver(activated(tenant), { id })).status).toBe(200)
    expect((await licenseOf(tenant)).status).toBe('active')
  })

  it('refuses a body changed after signing: 401, nothing changed', async () => {
    const tenant = await createTenant(db, { licenseStatus: 'active' })
    const id = newDeliveryId()
    const before = await stateOf(tenant, id)
    const signed = JSON.stringify({
      type: 'license.renewed',
      data: { tenant_id: tenant.tenantId, valid_until: inDays(30).toISOString() },
    })
    const tampered = JSON.stringify({ type: 'license.canceled', data: { tenant_id: tenant.tenantId } })
    const response = await deliver(signed, { id, sentBody: tampered })
    expect(response.status).toBe(401)
    expect(await errorCode(response)).toBe('INVALID_SIGNATURE')
    expect(await stateOf(tenant, id)).toEqual(before)
  })

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const)(
    'refuses a delivery without %s: 401, nothing changed',
    async (header) => {
      const tenant = await createTenant(db, { licenseStatus: 'past_due' })
      const id = newDeliveryId()
      const before = await stateOf(tenant, id)
      const response = await deliver(activated(tenant), { id, omit: header })
      expect(response.status).toBe(401)
      expect(await errorCode(response)).toBe('INVALID_SIGNATURE')
      expect(await stateOf(tenant, id)).toEqual(before)
    },
  )

  it('refuses a garbled signature header: 401, nothing changed', async () => {
    const tenant = await createTenant(db, { licenseStatus: 'past_due' })
    const id = newDeliveryId()
    const before = await stateOf(tenant, id)
    const response = await deliver(activated(tenant), { id, signature: 'v1,not-base64!' })
    expect(response.status).toBe(401)
    expect(await errorCode(response)).toBe('INVALID_SIGNATURE')
    expect(await stateOf(tenant, id)).toEqual(before)
  })

  it.each([
    ['six minutes old', -360],
    ['six minutes ahead', 360],
  ])('refuses a correctly signed delivery whose timestamp is %s: 401 STALE_TIMESTAMP', async (_, offset) => {
    const tenant = await createTenant(db, { licenseStatus: 'past_due' })
    const id = newDeliveryId()
    const before = await stateOf(tenant, id)
    const response = await deliver(activated(tenant), { id, timestamp: nowSeconds() + offset })
    expect(response.status).toBe(401)
    expect(await errorCode(response)).toBe('STALE_TIMESTAMP')
    expect(await stateOf(tenant, id)).toEqual(before)
  })

  it('accepts a timestamp four minutes old (inside the tolerance)', async () => {
    const tenant = await createTenant(db, { licenseStatus: 'past_due' })
    const response = await deliver(activated(tenant), { timestamp: nowSeconds() - 240 })
    expect(response.status).toBe(200)
  })

  it('answers 503 WEBHOOK_NOT_CONFIGURED when no secret is set, changing nothing', async () => {
    const tenant = await createTenant(db, { licenseStatus: 'past_due' })
    const id = newDeliveryId()
    const before = await stateOf(tenant, id)
    const response = await deliver(activated(tenant), { id, env: { ...db.env, BILLING_WEBHOOK_SECRETS: '' } })
    expect(response.status).toBe(503)
    expect(await errorCode(response)).toBe('WEBHOOK_NOT_CONFIGURED')
    expect(await stateOf(tenant, id)).toEqual(before)
  })
})

describe('POST /webhooks/billing: malformed or unknown', () => {
  it('answers 400 MALFORMED_JSON for a signed body that is not JSON, changing nothing', async () => {
    const tenant = await createTenant(db, { licenseStatus: 'past_due' })
    const id = newDeliveryId()
    const before = await stateOf(tenant, id)
    const response = await deliver(`{"type":"license.activated","data":{"tenant_id":"${tenant.tenantId}"`, {
      id,
    })
    expect(response.status).toBe(400)
    expect(await errorCode(response)).toBe('MALFORMED_JSON')
    expect(await stateOf(tenant, id)).toEqual(before)
  })

  it.each([
    [
      'an unknown event type',
      (t: TenantFixture) => ({ type: 'license.exploded', data: { tenant_id: t.tenantId } }),
      'json.type',
    ],
    ['no tenant', () => ({ type: 'license.activated', data: {} }), 'json.data.tenant_id'],
    [
      'both tenant_id and tenant_slug',
      (t: TenantFixture) => ({
        type: 'license.activated',
        data: { tenant_id: t.tenantId, tenant_slug: t.slug },
      }),
      'json.data.tenant_id',
    ],
    [
      'a renewal without valid_until',
      (t: TenantFixture) => ({ type: 'license.renewed', data: { tenant_id: t.tenantId } }),
      'json.data.valid_until',
    ],
    [
      'a date without a time zone',
      (t: TenantFixture) => ({
        type: 'license.activated',
        data: { tenant_id: t.tenantId, valid_until: '2031-01-01T00:00:00' },
      }),
      'json.data.valid_until',
    ],
    [
      'valid_until before valid_from',
      (t: TenantFixture) => ({
        type: 'license.activated',
        data: {
          tenant_id: t.tenantId,
          valid_from: inDays(2).toISOString(),
          valid_until: inDays(1).toISOString(),
        },
      }),
      'json.data.valid_until',
    ],
  ])('answers 400 VALIDATION_FAILED for %s, changing nothing', async (_, payload, path) => {
    const tenant = await createTenant(db, { licenseStatus: 'past_due' })
    const id = newDeliveryId()
    const before = await stateOf(tenant, id)
    const response = await deliver(payload(tenant), { id })
    expect(response.status).toBe(400)
    const body = (await response.json()) as { error: { code: string; fields: { path: string }[] } }
    expect(body.error.code).toBe('VALIDATION_FAILED')
    expect(body.error.fields.map((field) => field.path)).toContain(path)
    expect(await stateOf(tenant, id)).toEqual(before)
  })

  it('answers 400 INVALID_VALIDITY when valid_until would end before the stored valid_from', async () => {
    const tenant = await createTenant(db, { licenseStatus: 'past_due' })
    const id = newDeliveryId()
    const before = await stateOf(tenant, id)
    const response = await deliver(activated(tenant, { valid_until: inDays(-2).toISOString() }), { id })
    expect(response.status).toBe(400)
    expect(await errorCode(response)).toBe('INVALID_VALIDITY')
    expect(await stateOf(tenant, id)).toEqual(before)
  })

  it('answers 413 for a body over 64 KiB, changing nothing', async () => {
    const tenant = await createTenant(db, { licenseStatus: 'past_due' })
    const id = newDeliveryId()
    const before = await stateOf(tenant, id)
    const response = await deliver(activated(tenant, { padding: 'x'.repeat(70 * 1024) }), { id })
    expect(response.status).toBe(413)
    expect(await errorCode(response)).toBe('PAYLOAD_TOO_LARGE')
    expect(await stateOf(tenant, id)).toEqual(before)
  })

  it('answers 400 INVALID_WEBHOOK_ID for a signed webhook-id over 200 characters', async () => {
    const tenant = await createTenant(db, { licenseStatus: 'past_due' })
    const id = `msg_${'a'.repeat(200)}`
    const before = await stateOf(tenant, id)
    const response = await deliver(activated(tenant), { id })
    expect(response.status).toBe(400)
    expect(await errorCode(response)).toBe('INVALID_WEBHOOK_ID')
    expect(await stateOf(tenant, id)).toEqual(before)
  })

  it('answers 404 TENANT_NOT_FOUND for an unknown tenant, recording nothing', async () => {
    const id = newDeliveryId()
    const response = await deliver(
      { type: 'license.activated', data: { tenant_slug: 'no-such-tenant' } },
      { id },
    )
    expect(response.status).toBe(404)
    expect(await errorCode(response)).toBe('TENANT_NOT_FOUND')
    expect(await deliveriesWithId(id)).toBe(0)
    const [audit] = await db.owner<{ n: string }>(
      "select count(*) as n from audit_log where data->>'delivery_id' = $1",
      [id],
    )
    expect(Number(audit?.n)).toBe(0)
  })

  it("answers 404 for another tenant's license reference, changing neither tenant", async () => {
    const victim = await createTenant(db)
    const caller = await createTenant(db, { licenseStatus: 'past_due' })
    await db.owner("update licenses set external_ref = 'sub_victim_1' where id = $1", [victim.licenseId])
    const id = newDeliveryId()
    const victimBefore = await stateOf(victim, id)
    const callerBefore = await stateOf(caller, id)
    const response = await deliver(
      {
        type: 'license.canceled',
        data: { tenant_id: caller.tenantId, license_external_ref: 'sub_victim_1' },
      },
      { id },
    )
    expect(response.status).toBe(404)
    expect(await errorCode(response)).toBe('LICENSE_NOT_FOUND')
    expect(await stateOf(victim, id)).toEqual(victimBefore)
    expect(await stateOf(caller, id)).toEqual(callerBefore)
  })
})
