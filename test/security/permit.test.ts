import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import type { Context } from 'hono'
import { beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createApp } from '../../worker/app.ts'
import type { AppEnv } from '../../worker/env.ts'
import { authenticate } from '../../worker/middleware/authenticate.ts'
import { permit, permitOf } from '../../worker/middleware/permit.ts'
import { validationOf } from '../../worker/openapi/registry.ts'
import { validate } from '../../worker/validator.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { as, createMember, createOperator, createTenant, login } from '../helpers/fixtures.ts'
import { apiRoutes } from '../helpers/routes.ts'
import { recordSql, TEST_ORIGIN } from '../helpers/worker.ts'

/**
 * Authorization before validation (issue 23 §5): a caller who may not use a route is refused
 * (401, 403) before its input is validated, so the 400's field details never describe a route's
 * schema to someone who may not call it. Routes declare what they need with `permit()`;
 * `validate()` confirms it on its failure path only. The security matrix checks every real route
 * with invalid input; this file checks that every route declares, and the mechanism itself.
 */

describe('declarations', () => {
  it('every authenticated API route that validates input declares permit() after authenticate, before its validators', () => {
    const problems: string[] = []
    let checked = 0
    for (const [key, handlers] of apiRoutes()) {
      const firstValidator = handlers.findIndex((handler) => validationOf(handler))
      const authenticated = handlers.indexOf(authenticate)
      if (firstValidator < 0 || authenticated < 0) continue
      checked++
      const declared = handlers.findIndex((handler) => permitOf(handler))
      if (authenticated > firstValidator) problems.push(`${key}: validates before authenticate`)
      if (declared < 0) problems.push(`${key}: no permit()`)
      else if (declared > firstValidator) problems.push(`${key}: permit() after a validator`)
    }
    // The walk found the routes it guards (not an empty app or a changed route list).
    expect(checked).toBeGreaterThan(70)
    expect(problems).toEqual([])
  })
})

// Probe routes, declared as real routes are; each handler opens the one transaction a verb would.
const nameBody = z.object({ name: z.string().min(1) })
const probeParam = z.object({ id: z.string().regex(/^prb_\d+$/) })
const probeQuery = z.object({ limit: z.coerce.number().int().max(10).optional() })

function probeApp() {
  const app = createApp()
  const done = async (c: Context<AppEnv>) => c.json(await c.var.caller.run(async () => ({ ok: true })))
  app.post('/api/v1/_probe/team', authenticate, permit('users.manage'), validate('json', nameBody), done)
  app.post('/api/v1/_probe/undeclared', authenticate, validate('json', nameBody), done)
  app.get(
    '/api/v1/_probe/calendar/:id',
    authenticate,
    permit('calendar.read', { module: 'calendar' }),
    validate('param', probeParam),
    validate('query', probeQuery),
    done,
  )
  app.post('/api/v1/_probe/me', authenticate, permit('person'), validate('json', nameBody), done)
  app.post('/api/v1/_probe/central', authenticate, permit('operator'), validate('json', nameBody), done)
  app.post(
    '/api/v1/_probe/oauth',
    authenticate,
    permit(['connections.manage', 'person']),
    validate('json', nameBody),
    done,
  )
  return app
}

let db: TestDatabase
const app = probeApp()
const tokens = {} as Record<
  'owner' | 'viewer' | 'adminKey' | 'operator' | 'metricsOnly' | 'suspended' | 'ended',
  string
>

beforeAll(async () => {
  db = await createTestDatabase()
  const tenant = await createTenant(db, { modules: ['metrics', 'calendar'] })
  const signIn = async (tenantId: string, role: 'owner' | 'viewer') =>
    (await login(db, (await createMember(db, tenantId, role)).email)).access_token
  tokens.owner = await signIn(tenant.tenantId, 'owner')
  tokens.viewer = await signIn(tenant.tenantId, 'viewer')
  tokens.operator = (await login(db, (await createOperator(db)).email)).access_token
  const key = await as(db, tokens.owner)('/api/v1/api-keys', {
    method: 'POST',
    json: { name: 'probe', role: 'admin' },
  })
  tokens.adminKey = ((await key.json()) as { key: string }).key
  tokens.metricsOnly = await signIn((await createTenant(db, { modules: ['metrics'] })).tenantId, 'owner')
  tokens.suspended = await signIn(
    (await createTenant(db, { modules: ['calendar'], licenseStatus: 'suspended' })).tenantId,
    'owner',
  )
  tokens.ended = await signIn(tenant.tenantId, 'owner')
  await as(db, tokens.ended)('/api/v1/auth/logout', { method: 'POST' })
})

async function call(
  who: keyof typeof tokens | 'nobody',
  path: string,
  body?: string,
): Promise<{ status: number; code?: string; fields?: unknown }> {
  const headers = new Headers()
  if (who !== 'nobody') headers.set('authorization', `Bearer ${tokens[who]}`)
  if (body !== undefined) headers.set('content-type', 'application/json')
  const ctx = createExecutionContext()
  const response = await app.fetch(
    new Request(new URL(path, TEST_ORIGIN), { method: body === undefined ? 'GET' : 'POST', headers, body }),
    db.env,
    ctx,
  )
  await waitOnExecutionContext(ctx)
  const json = (await response.json()) as { error?: { code: string; fields?: unknown } }
  return { status: response.status, code: json.error?.code, fields: json.error?.fields }
}

const INVALID = JSON.stringify({ name: '' })
const VALID = JSON.stringify({ name: 'Ana' })

describe('validate() refuses a caller the route does not permit before answering 400', () => {
  const TEAM = '/api/v1/_probe/team'
  const BAD_PATH = '/api/v1/_probe/calendar/x'
  const BAD_QUERY = '/api/v1/_probe/calendar/prb_1?limit=99'
  const [ME, CENTRAL, OAUTH] = ['/api/v1/_probe/me', '/api/v1/_probe/central', '/api/v1/_probe/oauth']
  it.each([
    { case: 'a role without the permission', who: 'viewer', path: TEAM, body: INVALID, code: 'FORBIDDEN' },
    { case: 'a body that is not JSON, wrong role', who: 'viewer', path: TEAM, body: '{', code: 'FORBIDDEN' },
    { case: 'an API key, people-only', who: 'adminKey', path: TEAM, body: INVALID, code: 'FORBIDDEN' },
    { case: 'no credential', who: 'nobody', path: TEAM, body: INVALID, status: 401, code: 'UNAUTHENTICATED' },
    { case: 'an ended session', who: 'ended', path: TEAM, body: INVALID, status: 401, code: 'SESSION_ENDED' },
    { case: 'an operator, tenant permission', who: 'operator', path: TEAM, body: INVALID, code: 'FORBIDDEN' },
    { case: 'a member, operator route', who: 'owner', path: CENTRAL, body: INVALID, code: 'FORBIDDEN' },
    { case: 'an API key, person needed', who: 'adminKey', path: ME, body: INVALID, code: 'NOT_A_SESSION' },
    // The requirements in the verb's order: the permission first, then the person.
    { case: 'an API key, OAuth', who: 'adminKey', path: OAUTH, body: INVALID, code: 'NOT_A_SESSION' },
    { case: 'a viewer, OAuth', who: 'viewer', path: OAUTH, body: INVALID, code: 'FORBIDDEN' },
    { case: 'a plan without the module', who: 'metricsOnly', path: BAD_PATH, code: 'MODULE_DISABLED' },
    { case: 'a suspended license, bad path', who: 'suspended', path: BAD_PATH, code: 'LICENSE_INACTIVE' },
    { case: 'an operator, bad query', who: 'operator', path: BAD_QUERY, code: 'FORBIDDEN' },
  ] as const)('$case → $code', async (row) => {
    const answer = await call(row.who, row.path, 'body' in row ? row.body : undefined)
    expect(answer).toEqual({ status: 'status' in row ? row.status : 403, code: row.code, fields: undefined })
  })

  it.each([
    ['owner', TEAM, INVALID],
    ['owner', TEAM, '{'],
    ['viewer', BAD_PATH, undefined],
    ['viewer', BAD_QUERY, undefined],
    ['owner', ME, INVALID],
    ['operator', ME, INVALID],
    ['operator', CENTRAL, INVALID],
    ['owner', OAUTH, INVALID],
  ] as const)('a permitted caller (%s) still gets the 400: %s', async (who, path, body) => {
    const answer = await call(who, path, body)
    expect(answer.status).toBe(400)
    expect(answer.code).toMatch(/^(VALIDATION_FAILED|MALFORMED_JSON)$/)
  })

  it('a route without permit() would show its fields to anyone signed in (why every route declares)', async () => {
    const answer = await call('viewer', '/api/v1/_probe/undeclared', INVALID)
    expect(answer.status).toBe(400)
    expect(answer.fields).toEqual([expect.objectContaining({ path: 'json.name' })])
  })

  it('costs a valid request nothing: the same statements as a route without the declaration', async () => {
    const declared = await recordSql(() => call('owner', '/api/v1/_probe/team', VALID))
    const undeclared = await recordSql(() => call('owner', '/api/v1/_probe/undeclared', VALID))
    expect(declared.result.status).toBe(200)
    expect(undeclared.result.status).toBe(200)
    expect(declared.statements).toHaveLength(undeclared.statements.length)
  })
})
