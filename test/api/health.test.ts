import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { callWorker } from '../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

// A loopback port where nothing listens: the same failure as a stopped Postgres.
const unreachable = () => ({
  ...db.env,
  DATABASE_URL: 'postgres://integra_app:x@127.0.0.1:1/integra',
  DB_CONNECT_TIMEOUT_MS: '1500',
})

describe('GET /health', () => {
  it('is ok', async () => {
    const response = await callWorker(db.env, '/health')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ok' })
  })

  it('does not touch the database', async () => {
    const response = await callWorker(unreachable(), '/health')
    expect(response.status).toBe(200)
  })
})

describe('GET /health/ready', () => {
  it('is ready when select 1 succeeds through the Neon driver', async () => {
    const response = await callWorker(db.env, '/health/ready')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ready', db: 'ok' })
  })

  it('answers 503 with the envelope and Retry-After when the database is unreachable', async () => {
    const response = await callWorker(unreachable(), '/health/ready')
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('5')
    const body = (await response.json()) as { error: { code: string; requestId: string } }
    expect(body.error.code).toBe('NOT_READY')
    expect(body.error.requestId).toBeTruthy()
  })
})
