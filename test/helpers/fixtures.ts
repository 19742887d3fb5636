import { newId } from '../../db/ids.ts'
import { hashPassword } from '../../worker/auth/password.ts'
import type { TestDatabase } from './env.ts'
import { callWorker } from './worker.ts'

export const PASSWORD = 'correct horse battery staple'

// Hashing is deliberately slow (PBKDF2, 100k iterations): hash the shared test password once.
let passwordHash: Promise<string> | undefined
const testPasswordHash = () => {
  passwordHash ??= hashPassword(PASSWORD)
  return passwordHash
}

const unique = () => crypto.randomUUID().slice(0, 8)

export type TenantFixture = { tenantId: string; slug: string; planId: string; licenseId: string }

/** A tenant with a plan and a license, written as the owner role (bypasses row-level security). */
export async function createTenant(
  db: TestDatabase,
  options: {
    modules?: string[]
    licenseStatus?: string
    validUntil?: Date
    usersLimit?: number
    connectionsLimit?: number
    storesLimit?: number
    tenantStatus?: string
  } = {},
): Promise<TenantFixture> {
  const slug = `t-${unique()}`
  const tenantId = newId('ten')
  const planId = newId('pln')
  const licenseId = newId('lic')
  await db.owner(
    `insert into plans (id, code, name, modules, users_limit, connections_limit, retention_days, collection_interval_minutes, stores_limit)
     values ($1, $2, 'Test plan', $3, $4, $5, 365, 60, $6)`,
    [
      planId,
      `plan-${unique()}`,
      options.modules ?? ['metrics'],
      options.usersLimit ?? 5,
      options.connectionsLimit ?? 10,
      options.storesLimit ?? 1,
    ],
  )
  await db.owner('insert into tenants (id, slug, name, status) values ($1, $2, $3, $4)', [
    tenantId,
    slug,
    `Tenant ${slug}`,
    options.tenantStatus ?? 'active',
  ])
  await db.owner(
    `insert into licenses (id, tenant_id, plan_id, status, valid_from, valid_until)
     values ($1, $2, $3, $4, now() - interval '1 day', $5)`,
    [
      licenseId,
      tenantId,
      planId,
      options.licenseStatus ?? 'active',
      options.validUntil ?? new Date(Date.now() + 30 * 86400_000),
    ],
  )
  return { tenantId, slug, planId, licenseId }
}

export async function createMember(
  db: TestDatabase,
  tenantId: string,
  role: 'owner' | 'admin' | 'analyst' | 'viewer' | 'agent',
  options: { status?: string } = {},
): Promise<{ id: string; email: string }> {
  const id = newId('usr')
  const email = `${role}-${unique()}@example.test`
  await db.owner(
    'insert into users (id, tenant_id, email, name, role, password_hash, status) values ($1, $2, $3, $4, $5, $6, $7)',
    [id, tenantId, email, `${role} user`, role, await testPasswordHash(), options.status ?? 'active'],
  )
  return { id, email }
}

export async function createOperator(db: TestDatabase): Promise<{ id: string; email: string }> {
  const id = newId('opr')
  const email = `operator-${unique()}@integra.test`
  await db.owner('insert into operators (id, email, name, password_hash) values ($1, $2, $3, $4)', [
    id,
    email,
    'Operator',
    await testPasswordHash(),
  ])
  return { id, email }
}

export type Tokens = { access_token: string; refresh_token: string }

export async function login(
  db: TestDatabase,
  email: string,
  password = PASSWORD,
  ip = '203.0.113.7',
): Promise<Tokens> {
  const response = await callWorker(db.env, '/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
    body: JSON.stringify({ email, password }),
  })
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`)
  return (await response.json()) as Tokens
}

/** Calls the Worker as a bearer of `token` (access token or API key). */
export function as(db: TestDatabase, token: string) {
  return (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const headers = new Headers(init.headers)
    headers.set('authorization', `Bearer ${token}`)
    let body = init.body
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json')
      body = JSON.stringify(init.json)
    }
    return callWorker(db.env, path, { ...init, headers, body })
  }
}

export async function errorCode(response: Response): Promise<string> {
  const body = (await response.json()) as { error?: { code?: string } }
  return body.error?.code ?? `<no envelope: ${response.status}>`
}
