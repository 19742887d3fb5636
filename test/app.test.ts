import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createApp } from '../worker/app.ts'
import type { Bindings } from '../worker/env.ts'
import { validate } from '../worker/validator.ts'
import { sharedEnv } from './helpers/env.ts'
import { callWorker, captureLogs, TEST_ORIGIN } from './helpers/worker.ts'

// The app from the real factory plus two routes that exercise the shared validator and the
// unknown-error path, which no product route should do on purpose.
function appWithProbeRoutes() {
  const app = createApp()
  app.post(
    '/api/v1/_probe',
    validate('json', z.object({ name: z.string().min(2), count: z.number().int() })),
    (c) => c.json({ received: c.req.valid('json') }, 201),
  )
  app.get('/api/v1/_boom_query', () => {
    throw new Error(
      'Failed query: insert into users (password_hash) values ($1)\nparams: pbkdf2-sha256$100000$s3cret-param',
    )
  })
  app.get('/api/v1/_boom', () => {
    throw new Error('kaboom at postgres://integra_app:hunter2@db.internal/integra')
  })
  return app
}

async function callApp(env: Bindings, path: string, init?: RequestInit) {
  const ctx = createExecutionContext()
  const response = await appWithProbeRoutes().fetch(new Request(new URL(path, TEST_ORIGIN), init), env, ctx)
  await waitOnExecutionContext(ctx)
  return response
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
})

describe('request id', () => {
  it('generates one when none is sent and echoes it', async () => {
    const response = await callWorker(sharedEnv, '/health')
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('keeps a well-formed incoming id', async () => {
    const response = await callWorker(sharedEnv, '/health', { headers: { 'X-Request-Id': 'edge-abc_123' } })
    expect(response.headers.get('x-request-id')).toBe('edge-abc_123')
  })

  it('replaces a malformed or oversized incoming id', async () => {
    for (const bad of ['has spaces in it', '<script>', 'x'.repeat(200)]) {
      const response = await callWorker(sharedEnv, '/health', { headers: { 'X-Request-Id': bad } })
      expect(response.headers.get('x-request-id')).not.toBe(bad)
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    }
  })
})

describe('error envelope', () => {
  it('answers an unknown route with a 404 envelope carrying the request id', async () => {
    const response = await callWorker(sharedEnv, '/nope', { headers: { 'X-Request-Id': 'req-404-test' } })
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'No route for GET /nope.', requestId: 'req-404-test' },
    })
  })

  it('answers a wrong method with 405 and an Allow header', async () => {
    const response = await callWorker(sharedEnv, '/health', { method: 'DELETE' })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toContain('GET')
    const body = (await response.json()) as { error: { code: string } }
    expect(body.error.code).toBe('METHOD_NOT_ALLOWED')
  })

  it("answers malformed JSON with 400 MALFORMED_JSON, never 500, and logs no error (it is the client's)", async () => {
    const { result: response, lines } = await captureLogs(() =>
      callApp(sharedEnv, '/api/v1/_probe', json('{"name": "ab", ')),
    )
    expect(lines.filter((line) => line.level === 'error')).toEqual([])
    expect(response.status).toBe(400)
    const body = (await response.json()) as { error: { code: string; requestId: string } }
    expect(body.error.code).toBe('MALFORMED_JSON')
    expect(body.error.requestId).toBe(response.headers.get('x-request-id'))
  })

  it('answers invalid fields with 400 VALIDATION_FAILED naming each field', async () => {
    const response = await callApp(sharedEnv, '/api/v1/_probe', json({ name: 'a', count: 1.5 }))
    expect(response.status).toBe(400)
    const body = (await response.json()) as { error: { code: string; fields: { path: string }[] } }
    expect(body.error.code).toBe('VALIDATION_FAILED')
    expect(body.error.fields.map((f) => f.path).sort()).toEqual(['json.count', 'json.name'])
  })

  it('accepts a valid body', async () => {
    const response = await callApp(sharedEnv, '/api/v1/_probe', json({ name: 'ok', count: 2 }))
    expect(response.status).toBe(201)
    expect(await response.json()).toEqual({ received: { name: 'ok', count: 2 } })
  })

  it('answers a non-JSON body on the API with 415', async () => {
    const response = await callApp(sharedEnv, '/api/v1/_probe', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'name=ok',
    })
    expect(response.status).toBe(415)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
  })

  it('answers an oversized body with 413', async () => {
    const response = await callApp(
      sharedEnv,
      '/api/v1/_probe',
      json({ name: 'x'.repeat(1_100_000), count: 1 }),
    )
    expect(response.status).toBe(413)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('answers an unknown error with a bare 500 and logs the stack server-side only', async () => {
    const { result: response, lines } = await captureLogs(() => callApp(sharedEnv, '/api/v1/_boom'))
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(JSON.parse(text).error.code).toBe('INTERNAL_ERROR')
    expect(text).not.toContain('kaboom')
    expect(text).not.toContain('at ')
    const logged = lines.find((line) => line.message === 'unhandled error')
    expect(logged?.stack).toEqual(expect.stringContaining('kaboom'))
    // The password inside the error message never reaches the log.
    expect(JSON.stringify(lines)).not.toContain('hunter2')
  })
})

describe('failed query logs', () => {
  it('keep the statement but never its parameter values', async () => {
    const { result: response, lines } = await captureLogs(() => callApp(sharedEnv, '/api/v1/_boom_query'))
    expect(response.status).toBe(500)
    const text = JSON.stringify(lines)
    expect(text).toContain('insert into users')
    expect(text).not.toContain('s3cret-param')
  })
})

describe('security headers', () => {
  it.each(['/health', '/nope'])('are on every response (%s)', async (path) => {
    const response = await callWorker(sharedEnv, path)
    const csp = response.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("object-src 'none'")
    expect(csp).toContain("base-uri 'none'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(response.headers.get('strict-transport-security')).toMatch(/max-age=\d+/)
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
  })
})

describe('configuration', () => {
  it('answers BAD_ENVIRONMENT naming the bad variables but never their values', async () => {
    const env = { ...sharedEnv, DATABASE_URL: 'mysql://root:s3cr3t-value@x/db', CORS_ORIGINS: '*' }
    const { result: response, lines } = await captureLogs(() => callWorker(env, '/health'))
    expect(response.status).toBe(500)
    const text = await response.text()
    const body = JSON.parse(text) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('BAD_ENVIRONMENT')
    expect(body.error.message).toContain('CORS_ORIGINS')
    expect(body.error.message).toContain('DATABASE_URL')
    expect(text).not.toContain('s3cr3t-value')
    expect(JSON.stringify(lines)).not.toContain('s3cr3t-value')
    expect(lines.some((line) => String(line.message).includes('DATABASE_URL'))).toBe(true)
  })

  it('answers BAD_ENVIRONMENT when a required variable is missing', async () => {
    const { DATABASE_URL: _, ...env } = sharedEnv
    const response = await callWorker(env as Bindings, '/health')
    const body = (await response.json()) as { error: { code: string; message: string } }
    expect(body.error).toMatchObject({
      code: 'BAD_ENVIRONMENT',
      message: expect.stringContaining('DATABASE_URL'),
    })
  })
})

describe('CORS', () => {
  const env = { ...sharedEnv, CORS_ORIGINS: 'https://app.example, https://agency.example' }

  it('allows a configured origin with credentials', async () => {
    const response = await callWorker(env, '/health', { headers: { Origin: 'https://agency.example' } })
    expect(response.headers.get('access-control-allow-origin')).toBe('https://agency.example')
    expect(response.headers.get('access-control-allow-credentials')).toBe('true')
  })

  it('answers a preflight from a configured origin', async () => {
    const response = await callWorker(env, '/api/v1/anything', {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example')
  })

  it('does not allow any other origin', async () => {
    const response = await callWorker(env, '/health', { headers: { Origin: 'https://evil.example' } })
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
    expect(response.headers.get('access-control-allow-credentials')).toBeNull()
  })
})

describe('trusted hosts', () => {
  const env = { ...sharedEnv, TRUSTED_HOSTS: 'integra.test,api.integra.example' }

  it('serves a trusted host', async () => {
    expect((await callWorker(env, '/health')).status).toBe(200)
  })

  it('refuses any other host', async () => {
    const response = await callWorker(env, 'https://attacker.example/health')
    expect(response.status).toBe(400)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('HOST_NOT_ALLOWED')
  })
})

describe('request log', () => {
  it('writes one JSON line per request without secrets', async () => {
    const { lines } = await captureLogs(() =>
      callWorker(sharedEnv, '/health?access_token=tok-very-secret', {
        headers: {
          Authorization: 'Bearer tok-very-secret',
          Cookie: '__Host-session=cookie-very-secret',
          'X-Request-Id': 'req-log-test',
        },
      }),
    )
    const requests = lines.filter((line) => line.message === 'request')
    expect(requests).toHaveLength(1)
    expect(requests[0]).toMatchObject({
      request_id: 'req-log-test',
      method: 'GET',
      path: '/health',
      status: 200,
      duration_ms: expect.any(Number),
    })
    const text = JSON.stringify(lines)
    expect(text).not.toContain('tok-very-secret')
    expect(text).not.toContain('cookie-very-secret')
  })
})
