import type { RouterRoute } from 'hono/types'
import { describe, expect, it } from 'vitest'
import { type ZodType, z } from 'zod'
import { createApp } from '../../worker/app.ts'
import { authenticate } from '../../worker/middleware/authenticate.ts'
import { errorEnvelopeSchema } from '../../worker/openapi/components.ts'
import {
  buildOpenApiDocument,
  isDocumentedPath,
  type OpenApiDocument,
} from '../../worker/openapi/document.ts'
import { validationOf } from '../../worker/openapi/registry.ts'
import { validate } from '../../worker/validator.ts'
import { sharedEnv } from '../helpers/env.ts'
import { callWorker } from '../helpers/worker.ts'

type Operation = OpenApiDocument['paths'][string][string]

async function servedDocument(): Promise<{ text: string; document: OpenApiDocument }> {
  const response = await callWorker(sharedEnv, '/api/v1/openapi.json')
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  const text = await response.text()
  return { text, document: JSON.parse(text) as OpenApiDocument }
}

/** The API's routes as Hono lists them: one entry per method and path, handlers in order. */
function apiRoutes(routes: readonly RouterRoute[]) {
  const grouped = new Map<string, { method: string; path: string; handlers: unknown[] }>()
  for (const route of routes) {
    if (route.method === 'ALL' || !isDocumentedPath(route.path)) continue
    const key = `${route.method} ${route.path}`
    const entry = grouped.get(key) ?? { method: route.method.toLowerCase(), path: route.path, handlers: [] }
    entry.handlers.push(route.handler)
    grouped.set(key, entry)
  }
  return [...grouped.values()]
}

/** The field names of an object schema, read from zod itself (not from its JSON Schema). */
function fieldsOf(schema: ZodType): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape)
  if (schema instanceof z.ZodPipe) return fieldsOf(schema.in as ZodType)
  throw new Error('a query, path or header validator must be an object schema')
}

const operationAt = (document: OpenApiDocument, method: string, path: string): Operation | undefined =>
  document.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method]

const parameterNames = (operation: Operation, location: string) =>
  (operation.parameters ?? []).filter((p) => p.in === location).map((p) => p.name)

describe('GET /api/v1/openapi.json', () => {
  it('is an OpenAPI 3.1 document, built once per isolate (the same bytes every time)', async () => {
    const first = await servedDocument()
    const second = await servedDocument()
    expect(first.document.openapi).toMatch(/^3\.1\.\d+$/)
    expect(second.text).toBe(first.text)
  })

  it('lists every registered /api/v1 route with its methods, and nothing else', async () => {
    const { document } = await servedDocument()
    const registered = apiRoutes(createApp().routes)
      .map(({ method, path }) => `${method} ${path.replace(/:(\w+)/g, '{$1}')}`)
      .sort()
    const documented = Object.entries(document.paths)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`))
      .sort()
    expect(documented).toEqual(registered)
    // The modules of the issue are all there, the admin central and sign-in included.
    for (const expected of [
      'post /api/v1/auth/login',
      'get /api/v1/admin/tenants/{id}',
      'get /api/v1/tenant',
      'delete /api/v1/connections/{id}',
      'get /api/v1/metrics/export',
      'put /api/v1/webhooks/meta/settings',
      'get /api/v1/openapi.json',
      // The public storefront API (commerce) is documented with the rest.
      'get /shop-api/v1/stores',
      'post /shop-api/v1/checkout',
      'get /shop-api/v1/orders/{id}',
    ])
      expect(documented).toContain(expected)
  })

  it('gives each operation its path, query and header parameters and its body, from the validators', async () => {
    const { document } = await servedDocument()
    for (const { method, path, handlers } of apiRoutes(createApp().routes)) {
      const operation = operationAt(document, method, path) as Operation
      const where = `${method} ${path}`
      const pathParams = [...path.matchAll(/:(\w+)/g)].map((match) => match[1])
      expect([where, parameterNames(operation, 'path').sort()]).toEqual([where, pathParams.sort()])
      const validations = handlers.flatMap((handler) => validationOf(handler as object) ?? [])
      for (const { target, schema } of validations) {
        if (target === 'json') {
          expect([where, Object.keys(operation.requestBody?.content ?? {})]).toEqual([
            where,
            ['application/json'],
          ])
          continue
        }
        const location = { param: 'path', query: 'query', header: 'header', cookie: 'cookie' }[
          target as string
        ]
        expect([where, target, location]).not.toEqual([where, target, undefined])
        expect([where, parameterNames(operation, location as string).sort()]).toEqual([
          where,
          target === 'param' ? pathParams.sort() : fieldsOf(schema).sort(),
        ])
      }
      if (!validations.some((v) => v.target === 'json'))
        expect([where, operation.requestBody]).toEqual([where, undefined])
    }
  })

  it('shows the metrics filters as the API validates them', async () => {
    const { document } = await servedDocument()
    const series = operationAt(document, 'get', '/api/v1/metrics') as Operation
    expect(parameterNames(series, 'query')).toEqual([
      'connection_id',
      'platform',
      'metric',
      'from',
      'to',
      'granularity',
      'compare',
    ])
    const param = (name: string) => series.parameters?.find((p) => p.name === name)
    expect(param('granularity')).toMatchObject({
      required: false,
      schema: { type: 'string', enum: ['day', 'week', 'month'], default: 'day' },
    })
    expect(param('from')).toMatchObject({ required: false, schema: { type: 'string', format: 'date' } })
    expect(param('metric')?.description).toMatch(/repeat the parameter/)
    const points = operationAt(document, 'get', '/api/v1/metrics/points') as Operation
    expect(points.parameters?.find((p) => p.name === 'limit')?.schema).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      default: 100,
    })
    const deletion = operationAt(document, 'delete', '/api/v1/connections/:id') as Operation
    expect(deletion.parameters?.find((p) => p.name === 'purge_metrics')).toMatchObject({
      in: 'query',
      required: true,
      schema: { enum: ['true', 'false'] },
    })
    const login = operationAt(document, 'post', '/api/v1/auth/login') as Operation
    expect(login.requestBody?.content['application/json']?.schema).toMatchObject({
      type: 'object',
      required: ['email', 'password'],
    })
  })

  it('documents response schemas where the route has one (series, points, conflicts, summary, tokens)', async () => {
    const { document } = await servedDocument()
    const schemaOf = (method: string, path: string) =>
      (
        operationAt(document, method, path)?.responses['200'] as {
          content?: Record<string, { schema?: { properties?: Record<string, unknown> } }>
        }
      )?.content?.['application/json']?.schema
    expect(Object.keys(schemaOf('get', '/api/v1/metrics')?.properties ?? {})).toContain('series')
    expect(Object.keys(schemaOf('get', '/api/v1/metrics/points')?.properties ?? {})).toEqual([
      'data',
      'next_cursor',
    ])
    expect(Object.keys(schemaOf('get', '/api/v1/calendar/conflicts')?.properties ?? {})).toEqual([
      'data',
      'next_cursor',
    ])
    expect(Object.keys(schemaOf('get', '/api/v1/metrics/summary')?.properties ?? {})).toContain('definitions')
    // Login answers tokens, or a two-factor challenge (issue 20): either shape is documented.
    const login = schemaOf('post', '/api/v1/auth/login') as
      | {
          anyOf?: { properties?: Record<string, unknown> }[]
          oneOf?: { properties?: Record<string, unknown> }[]
        }
      | undefined
    const shapes = (login?.anyOf ?? login?.oneOf ?? []).map((shape) => Object.keys(shape.properties ?? {}))
    expect(shapes.flat()).toEqual(expect.arrayContaining(['access_token', 'challenge_token']))
    const exported = operationAt(document, 'get', '/api/v1/metrics/export')?.responses['200'] as {
      content: Record<string, unknown>
    }
    expect(Object.keys(exported.content)).toEqual(['text/csv', 'application/x-ndjson'])
  })

  it('marks the routes behind `authenticate` with both schemes (access token, API key) and the rest as public', async () => {
    const { document } = await servedDocument()
    expect(document.components.securitySchemes).toMatchObject({
      accessToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      apiKey: { type: 'http', scheme: 'bearer' },
    })
    for (const { method, path, handlers } of apiRoutes(createApp().routes)) {
      const operation = operationAt(document, method, path) as Operation
      const expected = handlers.includes(authenticate) ? [{ accessToken: [] }, { apiKey: [] }] : []
      expect([`${method} ${path}`, operation.security]).toEqual([`${method} ${path}`, expected])
      if (expected.length > 0) expect(operation.responses['401']).toBeDefined()
    }
    expect(operationAt(document, 'post', '/api/v1/auth/login')?.security).toEqual([])
    // The storefront API takes no credential; its shop is a header, and its rate limit is documented.
    const checkout = operationAt(document, 'post', '/shop-api/v1/checkout')
    expect(checkout?.security).toEqual([])
    expect(checkout?.tags).toEqual(['shop'])
    expect(checkout?.operationId).toBe('postShopCheckout')
    expect(parameterNames(checkout as Operation, 'header').sort()).toEqual(['idempotency-key', 'x-tenant'])
    expect(checkout?.responses['429']).toBeDefined()
    expect(checkout?.requestBody?.content['application/json']).toBeDefined()
    expect(operationAt(document, 'get', '/api/v1/metrics')?.security).toHaveLength(2)
  })

  it('answers errors of every operation with the envelope the API really sends', async () => {
    const { document } = await servedDocument()
    for (const item of Object.values(document.paths))
      for (const operation of Object.values(item))
        expect(operation.responses.default).toEqual({ $ref: '#/components/responses/Error' })
    const unauthenticated = await callWorker(sharedEnv, '/api/v1/metrics')
    expect(unauthenticated.status).toBe(401)
    expect(errorEnvelopeSchema.strict().safeParse(await unauthenticated.json()).success).toBe(true)
    const invalid = await callWorker(sharedEnv, '/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email":1}',
    })
    expect(invalid.status).toBe(400)
    const body = errorEnvelopeSchema.parse(await invalid.json())
    expect(body.error.fields?.map((field) => field.path)).toContain('json.email')
    expect(document.components.schemas.Error).toMatchObject({
      type: 'object',
      required: ['error'],
      properties: { error: { required: ['code', 'message', 'requestId'] } },
    })
  })

  it('lists a route added later without any change to the generator', () => {
    const app = createApp()
    app.get(
      '/api/v1/_probe/:thing',
      authenticate,
      validate('query', z.object({ size: z.coerce.number().min(1).max(5), tag: z.string().optional() })),
      (c) => c.json({}),
    )
    app.post('/api/v1/_probe', validate('json', z.object({ name: z.string() })), (c) => c.json({}, 201))
    const document = buildOpenApiDocument(app.routes)
    const probe = document.paths['/api/v1/_probe/{thing}']?.get
    expect(probe?.parameters).toEqual([
      { name: 'thing', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'size', in: 'query', required: true, schema: { type: 'number', minimum: 1, maximum: 5 } },
      { name: 'tag', in: 'query', required: false, schema: { type: 'string' } },
    ])
    expect(probe?.security).toHaveLength(2)
    expect(document.paths['/api/v1/_probe']?.post?.requestBody?.content['application/json']?.schema).toEqual({
      type: 'object',
      properties: { name: { type: 'string' } },
      required: ['name'],
    })
  })
})

describe('GET /api/docs', () => {
  it('serves the reference page: our own scripts only, no inline script, inline styles allowed on this page only', async () => {
    const response = await callWorker(sharedEnv, '/api/docs')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await response.text()
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)]
    expect(scripts.map((match) => /src="([^"]+)"/.exec(match[1] as string)?.[1])).toEqual([
      '/vendor/scalar/api-reference.js',
      '/api/docs/init.js',
    ])
    expect(scripts.every((match) => match[2]?.trim() === '')).toBe(true)
    expect(html).not.toMatch(/https?:\/\//)
    const csp = response.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self';")
    expect(csp).toContain("style-src 'self' 'unsafe-inline';")
    expect(csp).toContain("connect-src 'self';")
    expect(csp).not.toMatch(/unsafe-eval|https?:/)
  })

  it('keeps the strict policy everywhere else, the document and the start script included', async () => {
    for (const path of ['/api/v1/openapi.json', '/api/docs/init.js', '/api/docs/', '/health']) {
      const response = await callWorker(sharedEnv, path)
      const csp = response.headers.get('content-security-policy') ?? ''
      expect([path, csp.includes("style-src 'self';"), csp.includes('unsafe-inline')]).toEqual([
        path,
        true,
        false,
      ])
    }
  })

  it('starts Scalar on the generated document with everything that calls Scalar’s servers turned off', async () => {
    const response = await callWorker(sharedEnv, '/api/docs/init.js')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/javascript/)
    const script = await response.text()
    expect(script).toContain("url: '/api/v1/openapi.json'")
    for (const setting of [
      'withDefaultFonts: false',
      'telemetry: false',
      'agent: { disabled: true }',
      'mcp: { disabled: true }',
    ])
      expect(script).toContain(setting)
  })

  it('has Scalar’s pinned build in the static assets (copied by the pretest script)', async () => {
    const response = await sharedEnv.ASSETS.fetch('https://integra.test/vendor/scalar/api-reference.js')
    expect(response.status).toBe(200)
    const text = await response.text()
    expect(text).toContain('createApiReference')
    expect(text.length).toBeGreaterThan(1_000_000)
  })
})
