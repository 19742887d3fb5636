import { compileErrors, validate } from '@readme/openapi-parser'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../worker/app.ts'
import type { Bindings } from '../../worker/env.ts'
import type { OpenApiDocument } from '../../worker/openapi/document.ts'

/** Just enough configuration for the app to answer; no request here reaches a binding. */
const env = {
  APP_ENV: 'test',
  DATABASE_URL: 'postgres://integra_app:unused@127.0.0.1:1/integra',
  JWT_SIGNING_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64url')}`,
  VAULT_MASTER_KEYS: `m1:${Buffer.alloc(32, 2).toString('base64url')}`,
} as unknown as Bindings

async function servedDocument(): Promise<OpenApiDocument> {
  const waits: Promise<unknown>[] = []
  const ctx = {
    waitUntil: (p: Promise<unknown>) => void waits.push(p),
    passThroughOnException() {},
    props: {},
  }
  const response = await createApp().fetch(
    new Request('https://integra.test/api/v1/openapi.json'),
    env,
    ctx as unknown as ExecutionContext,
  )
  await Promise.all(waits)
  expect(response.status).toBe(200)
  return (await response.json()) as OpenApiDocument
}

describe('GET /api/v1/openapi.json (validated in Node: ajv cannot run in workerd)', () => {
  it('is a valid OpenAPI 3.1 document: the official schema and the semantic rules, warnings included', async () => {
    const document = await servedDocument()
    expect(document.openapi).toMatch(/^3\.1\.\d+$/)
    // validate() dereferences in place: give it a copy.
    const result = await validate(structuredClone(document), {
      validate: { rules: { openapi: { 'path-parameters-not-in-path': 'error' } } },
    })
    expect(result.valid ? '' : compileErrors(result)).toBe('')
    expect(result.warnings).toEqual([])
  })

  it('fails validation when a document is broken (the check can fail)', async () => {
    const document = await servedDocument()
    const broken = structuredClone(document)
    const [first, second] = Object.values(broken.paths).flatMap((item) => Object.values(item))
    if (!first || !second) throw new Error('expected at least two operations')
    second.operationId = first.operationId
    const result = await validate(broken as unknown as Parameters<typeof validate>[0])
    expect(result.valid).toBe(false)
  })
})
