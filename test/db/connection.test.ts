import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { DatabaseConnectError, DbHandle } from '../../db/client.ts'
import { ApiError } from '../../worker/errors.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'

let db: TestDatabase
let appUrl: string
beforeAll(async () => {
  db = await createTestDatabase()
  appUrl = db.env.DATABASE_URL ?? ''
})

/** The SQLSTATE somewhere in an error's causes (drizzle wraps the driver's error). */
function sqlstate(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
  }
  return undefined
}

const handle = (connectionString: string) =>
  new DbHandle({ connectionString, wsProxy: db.env.NEON_WS_PROXY || undefined, connectTimeoutMs: 5_000 })

/** Runs one transaction on a handle of its own and closes it. */
async function attempt(connectionString: string, work: Parameters<DbHandle['transaction']>[0]) {
  const database = handle(connectionString)
  try {
    return await database.transaction(work)
  } finally {
    await database.close()
  }
}

const select = (text: string) => async (tx: Parameters<Parameters<DbHandle['transaction']>[0]>[0]) =>
  (await tx.execute(sql.raw(text))).rows

/**
 * The driver pipelines startup, the cleartext password and the first statement (Neon's
 * `pipelineConnect: 'password'`, the local stack's too), so a connection that Postgres refuses
 * fails at the first statement, not at `connect()`: DbHandle must still call it a connection
 * failure (503 DATABASE_UNAVAILABLE for a request, the outage backoff for a job).
 */
describe('connection failures under the pipelined connect', () => {
  it('runs a transaction as the application role (cleartext password, pipelined)', async () => {
    expect(await attempt(appUrl, select('select current_user as role'))).toEqual([{ role: 'integra_app' }])
  })

  it('a refused password is a connection failure', async () => {
    const wrong = new URL(appUrl)
    wrong.password = 'not-the-password'
    const failure = await attempt(wrong.href, select('select 1')).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(DatabaseConnectError)
    expect(sqlstate(failure)).toBe('28P01')
  })

  it('a server that cannot be reached is a connection failure', async () => {
    const nowhere = new URL(appUrl)
    nowhere.port = '1'
    const failure = await attempt(nowhere.href, select('select 1')).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(DatabaseConnectError)
  })

  it('a failing statement and an error of the application are theirs, not connection failures', async () => {
    const syntax = await attempt(appUrl, select('select from nowhere at all')).catch(
      (error: unknown) => error,
    )
    expect(syntax).not.toBeInstanceOf(DatabaseConnectError)
    const refused = new ApiError(401, 'UNAUTHENTICATED', 'no')
    const thrown = await attempt(appUrl, async () => {
      throw refused
    }).catch((error: unknown) => error)
    expect(thrown).toBe(refused)
  })
})
