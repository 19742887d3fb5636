import fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { newId } from '../../db/ids.ts'
import { FAKE_OAUTH_APPS } from '../../db/local/fakes/oauth.ts'
import { MODULES } from '../../db/schema/index.ts'
import { parseSigningKeys, signAccessToken } from '../../worker/auth/jwt.ts'
import type { Bindings } from '../../worker/env.ts'
import { errorEnvelopeSchema } from '../../worker/openapi/components.ts'
import {
  type BodyCase,
  bodyCase,
  type JsonSchema,
  type Parameter,
  pathValue,
  queryCase,
  type SchemaContext,
  validValue,
} from './arbitraries.ts'
import { createTestDatabase, type TestDatabase } from './env.ts'
import { createMember, createOperator, createTenant, login, PASSWORD } from './fixtures.ts'
import { seedTenantRows, tenantDigest, tenantIds } from './tenant-rows.ts'
import { callWorker } from './worker.ts'

/**
 * The property-test harness of issue 9: every operation of the served OpenAPI document gets at
 * least CASES_PER_OPERATION generated requests, and every response must keep the API's promises.
 */
export const CASES_PER_OPERATION = 200
/** Fixed, so a failure replays: the failing operation's seed and path are in the error. */
export const BASE_SEED = 20_261_125
/** Percent of cases that are valid throughout: they reach the database, so they set the wall time. */
export const VALID_WEIGHT = 20

export type Operation = {
  key: string
  method: string
  path: string
  parameters: Parameter[]
  body?: JsonSchema
  authenticated: boolean
  /** The document's `components.schemas`, for `$ref`s. */
  components: Record<string, JsonSchema>
}

type Document = {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[]
        requestBody?: { content: Record<string, { schema: JsonSchema }> }
        security: unknown[]
      }
    >
  >
  components: { schemas: Record<string, JsonSchema> }
}

export async function loadOperations(env: Bindings): Promise<Operation[]> {
  const response = await callWorker(env, '/api/v1/openapi.json')
  if (response.status !== 200) throw new Error(`openapi.json answered ${response.status}`)
  const document = (await response.json()) as Document
  const operations = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({
      key: `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      path,
      parameters: op.parameters ?? [],
      body: op.requestBody?.content['application/json']?.schema,
      authenticated: op.security.length > 0,
      components: document.components.schemas,
    })),
  )
  return operations
}

/**
 * One file per suite (test/security/fuzz-<suite>.test.ts), so vitest spreads them over its
 * workers: the suite time is the longest file's, and a module's routes are fuzzed in a file of
 * their own.
 */
export const SUITES = [
  'tenant',
  'accounts',
  'admin',
  'metrics',
  'calendar',
  'attendance',
  'scheduling',
  'commerce',
] as const
export type Suite = (typeof SUITES)[number]

/** Total by construction: a new route lands in the tenant suite unless its prefix says otherwise. */
export function suiteOf(operation: Operation): Suite {
  if (operation.path.startsWith('/api/v1/admin')) return 'admin'
  // The public storefront API belongs to the commerce module.
  if (operation.path.startsWith('/shop-api/')) return 'commerce'
  const module = /^\/api\/v1\/(calendar|attendance|scheduling|commerce)(\/|$)/.exec(operation.path)
  if (module) return module[1] as Suite
  if (/^\/api\/v1\/(metrics|reports|webhooks|consent|erasure-requests)(\/|$)/.test(operation.path))
    return 'metrics'
  // Sign-in, the team, API keys and the tenant's own settings: the largest share of the rest.
  if (/^\/api\/v1\/(auth|users|tenant|api-keys)(\/|$)/.test(operation.path)) return 'accounts'
  return 'tenant'
}

/**
 * Operations not fuzzed, each with the reason. Empty: every route is fuzzed. A key added here
 * must name an operation of the document (checked by fuzz-tenant.test.ts).
 */
export const SKIPPED: Readonly<Record<string, string>> = {}

/**
 * Ordered so routes that destroy the fuzzer's footing run last: reads, then writes, then
 * deletions and state changes, then the caller's own session and password.
 */
export function byDestructiveness(a: Operation, b: Operation): number {
  const rank = (op: Operation) =>
    op.method === 'GET'
      ? 0
      : /\/auth\/(logout|password|sessions)/.test(op.path)
        ? 3
        : op.method === 'DELETE' || /\/(deactivate|suspend|expire|retire|confirm)$/.test(op.path)
          ? 2
          : 1
  return rank(a) - rank(b) || a.key.localeCompare(b.key)
}

/** `    at fn (file.ts:1:2)` and friends; not prose such as "at most 731 (two years)". */
const STACK_FRAME = /\n\s*at\s|\bat\s[^\n]*:\d+:\d+\)?|\.(ts|js|mjs):\d+:\d+/
const DATABASE_TEXT =
  /\b(select\s.+\sfrom|insert into|delete from|update\s\w+\sset)\b|violates|syntax error at|relation "|column "|duplicate key|invalid input syntax|NeonDbError|DatabaseError|drizzle/i

/** What is wrong with one response, per the properties of issue 9 (empty when nothing). */
export function problemsOf(response: Response, text: string): string[] {
  const problems: string[] = []
  const requestId = response.headers.get('x-request-id')
  const type = response.headers.get('content-type') ?? ''
  if (response.status >= 500) problems.push(`status ${response.status}`)
  if (STACK_FRAME.test(text)) problems.push('a stack trace in the body')
  if (response.status >= 400) {
    if (!type.startsWith('application/json')) problems.push(`error content-type ${type || 'missing'}`)
    if (DATABASE_TEXT.test(text)) problems.push('database text in an error')
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      problems.push('error body is not JSON')
    }
    const error = (body as { error?: Record<string, unknown> } | undefined)?.error
    const keysOk =
      body !== null &&
      typeof body === 'object' &&
      Object.keys(body).join() === 'error' &&
      typeof error === 'object' &&
      error !== null &&
      Object.keys(error).every((key) => ENVELOPE_KEYS.includes(key))
    if (!keysOk) problems.push('not exactly the envelope')
    else {
      // Types of code, message, fields and details: the same schema the OpenAPI document shows.
      const parsed = errorEnvelopeSchema.safeParse(body)
      if (!parsed.success)
        problems.push(
          `envelope: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
        )
      if (error.requestId !== requestId)
        problems.push(`requestId ${String(error.requestId)} is not the X-Request-Id ${requestId}`)
    }
  }
  return problems
}

/** The envelope's keys, read from the schema the API documents (worker/openapi/components.ts). */
const ENVELOPE_KEYS = Object.keys(errorEnvelopeSchema.shape.error.shape)

export type Caller = {
  /** A fresh access token for the operation's principal (called again after a 401). */
  signIn: () => Promise<string>
  /** Values and ids the arbitraries use, read just before the operation runs. */
  context: () => Promise<Omit<SchemaContext, 'components'>>
  /** Ids of the bystander tenant (another tenant's ids must read as unknown ones). */
  foreign: (prefix: string) => readonly string[]
  /** Sees every 2xx (so a changed password or a new session is followed). */
  onSuccess?: (operation: Operation, request: { body?: string }, response: unknown) => void
}

type Case = {
  broken: 'nothing' | 'auth' | 'body' | 'query' | 'path'
  path: string[]
  /** Values of the operation's header parameters (the storefront's `X-Tenant`), valid ones. */
  headers: string[]
  query: string
  body: BodyCase
  auth: 'valid' | 'none' | 'garbage' | 'basic' | 'expired-looking'
  requestId?: string
}

export type Stats = { cases: number; statuses: Record<number, number>; relogins: number; ms: number }

const AUTH_HEADERS: Record<Exclude<Case['auth'], 'valid' | 'none'>, string> = {
  garbage: 'Bearer not.a.token',
  basic: 'Basic YWRtaW46YWRtaW4=',
  'expired-looking': 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfeCIsImV4cCI6MX0.x',
}

/**
 * The generated requests of one operation: VALID_WEIGHT percent are valid throughout; each other
 * case breaks one thing.
 */
export function caseArbitrary(
  operation: Operation,
  context: SchemaContext,
  foreign: Caller['foreign'],
): fc.Arbitrary<Case> {
  const names = operation.parameters.filter((p) => p.in === 'path')
  const headerParams = operation.parameters.filter((p) => p.in === 'header')
  // VALID_WEIGHT percent of the cases are valid and reach the database; each other case breaks
  // one thing, mostly refused before any query: the credentials, the body, the query (unknown
  // and garbage parameters only, where the route takes none) or a path parameter.
  const hasQuery = operation.parameters.some((p) => p.in === 'query')
  // Each kind's arbitrary is built once, not per case (a `chain` would rebuild the body and query
  // arbitraries for every case, which cost more than the request).
  const kind = (part: Case['broken']): fc.Arbitrary<Case> => {
    const mode = (which: Case['broken']) => (part === which ? 'invalid' : 'valid')
    return fc.record(
      {
        broken: fc.constant(part),
        path: fc.tuple(...names.map((p) => pathValue(p, context, foreign, mode('path')))),
        headers: fc.tuple(...headerParams.map((p) => validValue(p.schema, context, p.name).map(String))),
        query: queryCase(operation.parameters, context, mode('query')),
        body: bodyCase(operation.body, context, mode('body')),
        auth:
          part === 'auth'
            ? fc.constantFrom(
                'none' as const,
                'garbage' as const,
                'basic' as const,
                'expired-looking' as const,
              )
            : fc.constant('valid' as const),
        requestId: fc.constantFrom('fuzz-1', '<script>', 'a b;c', 'x'.repeat(300), ''),
      },
      { requiredKeys: ['broken', 'path', 'headers', 'query', 'body', 'auth'] },
    )
  }
  const broken = [
    ...(operation.authenticated ? [{ weight: 1, arbitrary: kind('auth') }] : []),
    ...(operation.method === 'GET' || operation.method === 'HEAD'
      ? []
      : [{ weight: 3, arbitrary: kind('body') }]),
    { weight: hasQuery ? 3 : 1, arbitrary: kind('query') },
    ...(names.length > 0 ? [{ weight: 3, arbitrary: kind('path') }] : []),
  ]
  return fc.oneof(
    { weight: VALID_WEIGHT, arbitrary: kind('nothing') },
    { weight: 100 - VALID_WEIGHT, arbitrary: fc.oneof(...broken) },
  )
}

/**
 * Runs CASES_PER_OPERATION generated requests against one operation and asserts the properties
 * on each: fc.assert shrinks a failure and reports the seed and path that replay it.
 */
export async function fuzzOperation(
  operation: Operation,
  env: Bindings,
  caller: Caller,
  numRuns = CASES_PER_OPERATION,
): Promise<Stats> {
  const started = Date.now()
  const context = { ...(await caller.context()), components: operation.components }
  const names = operation.parameters.filter((p) => p.in === 'path')
  const headerNames = operation.parameters.filter((p) => p.in === 'header').map((p) => p.name)
  let token = operation.authenticated ? await caller.signIn() : ''
  let relogins = 0
  let ip = 0
  const stats: Stats = { cases: 0, statuses: {}, relogins: 0, ms: 0 }
  const arbitrary = caseArbitrary(operation, context, caller.foreign)
  const seed = BASE_SEED + [...operation.key].reduce((sum, ch) => (sum * 31 + ch.charCodeAt(0)) | 0, 0)
  await fc.assert(
    fc.asyncProperty(arbitrary, async (c) => {
      if (operation.authenticated && !token) {
        token = await caller.signIn()
        relogins++
      }
      let path = operation.path
      names.forEach((p, i) => {
        path = path.replace(`{${p.name}}`, c.path[i] as string)
      })
      const headers = new Headers({ 'cf-connecting-ip': `2001:db8::${(++ip).toString(16)}` })
      headerNames.forEach((name, i) => {
        headers.set(name, c.headers[i] as string)
      })
      if (c.auth === 'valid' && token) headers.set('authorization', `Bearer ${token}`)
      else if (c.auth !== 'valid' && c.auth !== 'none') headers.set('authorization', AUTH_HEADERS[c.auth])
      // fetch refuses a body on GET and HEAD: those send only the header.
      const body = operation.method === 'GET' || operation.method === 'HEAD' ? undefined : c.body.body
      if (c.body.contentType) headers.set('content-type', c.body.contentType)
      if (c.requestId !== undefined) headers.set('x-request-id', c.requestId)
      const response = await callWorker(env, `${path}${c.query}`, {
        method: operation.method,
        headers,
        body,
      })
      const text = await response.text()
      stats.cases++
      stats.statuses[response.status] = (stats.statuses[response.status] ?? 0) + 1
      // Logout, a revoked session, a changed password: sign in again for the next case.
      if (response.status === 401 && c.auth === 'valid') token = ''
      if (response.ok && caller.onSuccess) {
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {}
        caller.onSuccess(operation, c.body, json)
      }
      const problems = problemsOf(response, text)
      if (problems.length > 0) {
        throw new Error(
          `${operation.key} (broken: ${c.broken}, body: ${c.body.kind}) → ${response.status}: ${problems.join('; ')}\n` +
            `request: ${operation.method} ${path}${c.query} body ${c.body.body?.slice(0, 500)}\nresponse: ${text.slice(0, 1000)}`,
        )
      }
    }),
    { numRuns, seed, endOnFailure: false, interruptAfterTimeLimit: 120_000 },
  )
  stats.relogins = relogins
  stats.ms = Date.now() - started
  return stats
}

/** Everything a suite needs to fuzz as one principal while a bystander tenant watches. */
export type Side = {
  env: Bindings
  caller: Caller
  /** The bystander's digest (see tenantDigest); must not change. */
  bystander: () => Promise<Record<string, string>>
}

/** Bindings for fuzzing: no rate limit (thousands of requests a minute are the point) and a local queue. */
export function fuzzEnv(env: Bindings): Bindings {
  const unlimited = { limit: async () => ({ success: true }) } as RateLimit
  const jobs = { send: async () => {}, sendBatch: async () => {} } as unknown as Bindings['JOBS']
  // The fake platforms' OAuth apps, so the OAuth routes do their work instead of a 503 "not configured".
  const oauth = Object.fromEntries(
    Object.entries(FAKE_OAUTH_APPS).flatMap(([platform, app]) => [
      [`${platform.toUpperCase()}_CLIENT_ID`, app.clientId],
      [`${platform.toUpperCase()}_CLIENT_SECRET`, app.clientSecret],
    ]),
  )
  return { ...env, ...oauth, API_RATE_LIMITER: unlimited, JOBS: jobs, WEBHOOKS: jobs }
}

/**
 * Declares one test per operation of `suite`, run in order of destructiveness, each with
 * CASES_PER_OPERATION cases and the bystander's digest checked after it (so a leak names its route).
 */
export function fuzzSuite(
  suite: Suite,
  operations: readonly Operation[],
  prepare: () => Promise<Side>,
  checkBystander: (operation: Operation) => boolean = () => true,
) {
  const mine = operations
    .filter((op) => suiteOf(op) === suite && !(op.key in SKIPPED))
    .sort(byDestructiveness)
  let side: Side
  let before: Record<string, string>
  const timings: string[] = []

  beforeAll(async () => {
    side = await prepare()
    before = await side.bystander()
  }, 60_000)

  afterAll(() => {
    // One line per route in the test output: where the suite's wall time goes.
    console.info(`fuzz-${suite}: ${timings.join(', ')}`)
  })

  it(`has operations to fuzz (${suite})`, () => {
    expect(mine.length).toBeGreaterThan(0)
  })

  for (const operation of mine) {
    it(`${operation.key}: ${CASES_PER_OPERATION} generated requests, never a 5xx, always the envelope`, async () => {
      const stats = await fuzzOperation(operation, side.env, side.caller)
      timings.push(`${operation.key} ${stats.ms}ms ${JSON.stringify(stats.statuses)}`)
      expect(stats.cases).toBeGreaterThanOrEqual(CASES_PER_OPERATION)
      if (checkBystander(operation)) expect(await side.bystander()).toEqual(before)
    }, 120_000)
  }
}

/**
 * A fuzz file's whole body: the served document's operations, a database of its own, and the
 * suite's tests (the operator's side for the admin central, tenant A's owner for the rest).
 */
export async function fuzzFile(suite: Suite, env: Bindings): Promise<Operation[]> {
  const operations = await loadOperations(env)
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase()
  })
  fuzzSuite(suite, operations, () => (suite === 'admin' ? prepareAdminSide(db) : prepareTenantSide(db)))
  return operations
}

/**
 * A live session and its access token, written directly: what a login yields, without the
 * deliberately slow password hash. Logout and session revocation cases burn one per case, and
 * 200 real logins would cost the suite seconds; login itself is fuzzed as its own route.
 */
async function mintSession(
  db: TestDatabase,
  principal: { id: string; tenantId: string | null; role: 'operator' | 'owner' },
): Promise<string> {
  const sessionId = newId('ses')
  await db.owner(
    `insert into sessions (id, principal, user_id, tenant_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at)
     values ($1, $2, $3, $4, now(), now(), now() + interval '1 hour', now() + interval '1 day')`,
    [sessionId, principal.role === 'operator' ? 'operator' : 'member', principal.id, principal.tenantId],
  )
  const { token } = await signAccessToken(
    { sub: principal.id, tenant_id: principal.tenantId, role: principal.role, sid: sessionId },
    parseSigningKeys(db.env.JWT_SIGNING_KEYS ?? ''),
  )
  return token
}

const HINTS = {
  timezone: ['UTC', 'America/Sao_Paulo', 'Europe/Lisbon', 'Mars/Olympus_Mons'],
  time_zone: ['America/Sao_Paulo', 'America/New_York', 'Europe/Lisbon', 'Mars/Olympus_Mons'],
  platform: ['instagram', 'facebook', 'x', 'tiktok', 'whatsapp', 'myspace'],
  metric: ['reach', 'followers', 'impressions', 'sent'],
  ical_url: ['https://www.airbnb.com/calendar/ical/1.ics', 'http://127.0.0.1/x.ics', 'file:///etc/passwd'],
  password: [PASSWORD],
  new_password: ['another horse battery staple'],
}

/** Pools of ids by prefix, minus the ones the fuzzer must not aim at (its own principal). */
async function idPools(db: TestDatabase, tenantId: string, spare: readonly string[]) {
  const ids = await tenantIds(db, tenantId)
  return (prefix: string) => (ids.get(prefix) ?? []).filter((id) => !spare.includes(id))
}

/**
 * Tenant A (owner, three more members, a row in every table) fuzzed by its owner, tenant B seeded
 * the same way as the bystander. The owner's password is followed when the fuzzer changes it.
 */
export async function prepareTenantSide(db: TestDatabase): Promise<Side> {
  const [a, b] = [await createTenant(db, { modules: [...MODULES] }), await createTenant(db)]
  const owner = await createMember(db, a.tenantId, 'owner')
  // Aimed at by login fuzzing, so a lockout of this account never locks the owner out.
  const loginTarget = await createMember(db, a.tenantId, 'analyst')
  for (const role of ['admin', 'analyst', 'viewer'] as const) await createMember(db, a.tenantId, role)
  const bOwner = await createMember(db, b.tenantId, 'owner')
  await seedTenantRows(db, a, owner.id, { vault: false })
  await seedTenantRows(db, b, bOwner.id)
  // B gets a real session too, so session routes have a foreign session id to refuse.
  await login(db, bOwner.email)
  // A real refresh token of A's owner, for the refresh route's valid cases.
  const { refresh_token: aRefresh } = await login(db, owner.email)
  const foreign = await tenantIds(db, b.tenantId)
  let password = PASSWORD
  return {
    env: fuzzEnv(db.env),
    bystander: () => tenantDigest(db, b.tenantId),
    caller: {
      signIn: () => mintSession(db, { id: owner.id, tenantId: a.tenantId, role: 'owner' }),
      context: async () => {
        const ids = await idPools(db, a.tenantId, [owner.id, loginTarget.id])
        return {
          ids,
          hints: {
            ...HINTS,
            email: [loginTarget.email],
            current_password: [password],
            refresh_token: [aRefresh],
            connection_id: ids('con'),
            subject_id: [a.tenantId, ...ids('con')],
            service_id: ids('svc'),
            professional_id: ids('pro'),
            // The storefront API's shop: mostly tenant A's (its rows are real), sometimes nobody's.
            'x-tenant': [a.slug, a.slug, a.slug, 'no-such-shop'],
            store_id: ids('sto'),
            product_id: ids('prd'),
          },
        }
      },
      foreign: (prefix) => foreign.get(prefix) ?? [],
      onSuccess: (operation, request) => {
        if (operation.key === 'POST /api/v1/auth/password' && request.body)
          password = (JSON.parse(request.body) as { new_password: string }).new_password
      },
    },
  }
}

/**
 * The operator fuzzes the admin central with tenant A as its only target; tenant B is never
 * named (no id of B is in any pool), so any change to B is a leak, on every admin route.
 */
export async function prepareAdminSide(db: TestDatabase): Promise<Side> {
  const [a, b] = [await createTenant(db), await createTenant(db)]
  const [owner, bOwner] = [
    await createMember(db, a.tenantId, 'owner'),
    await createMember(db, b.tenantId, 'owner'),
  ]
  await createMember(db, a.tenantId, 'viewer')
  await seedTenantRows(db, a, owner.id, { vault: false })
  await seedTenantRows(db, b, bOwner.id)
  const operator = await createOperator(db)
  return {
    env: fuzzEnv(db.env),
    bystander: () => tenantDigest(db, b.tenantId),
    caller: {
      signIn: () => mintSession(db, { id: operator.id, tenantId: null, role: 'operator' }),
      context: async () => {
        const ids = await idPools(db, a.tenantId, [])
        return { ids, hints: { ...HINTS, tenant_id: [a.tenantId], q: [a.slug, '%', '_'] } }
      },
      foreign: () => [],
    },
  }
}
