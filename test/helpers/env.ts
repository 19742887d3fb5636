import { env } from 'cloudflare:workers'
import { Client } from '@neondatabase/serverless'
import { configureDriver } from '../../db/client.ts'
import type { Bindings } from '../../worker/env.ts'

export type TestBindings = Bindings & { TEST_OWNER_URL: string; TEST_TEMPLATE_DATABASE: string }

/** The bindings miniflare gives the test worker (shared database `integra_test`). */
export const sharedEnv = env as unknown as TestBindings

function withDatabase(url: string, database: string): string {
  const next = new URL(url)
  next.pathname = `/${database}`
  return next.href
}

/** Runs statements as the owner role (bypasses RLS): for setting up and inspecting tests only. */
export async function asOwner<T = Record<string, unknown>>(
  connectionString: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  configureDriver(sharedEnv.NEON_WS_PROXY || undefined)
  const client = new Client({ connectionString })
  client.on('error', () => {})
  await client.connect()
  try {
    const result = await client.query(text, params)
    return result.rows as T[]
  } finally {
    await client.end()
  }
}

export type TestDatabase = {
  /** Bindings pointing the Worker at this file's own database. */
  env: TestBindings
  ownerUrl: string
  owner: <T = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]>
}

/**
 * A database of this test file's own, cloned from the migrated template, so files run in
 * parallel without seeing each other's rows. Queue deliveries by miniflare still use the shared
 * database: tests of real queue delivery use `sharedEnv` and unique ids instead.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `t_${crypto.randomUUID().replaceAll('-', '').slice(0, 20)}`
  await asOwner(
    withDatabase(sharedEnv.TEST_OWNER_URL, 'postgres'),
    `create database ${name} template ${sharedEnv.TEST_TEMPLATE_DATABASE}`,
  )
  const ownerUrl = withDatabase(sharedEnv.TEST_OWNER_URL, name)
  return {
    env: { ...sharedEnv, DATABASE_URL: withDatabase(sharedEnv.DATABASE_URL ?? '', name) },
    ownerUrl,
    owner: (text, params) => asOwner(ownerUrl, text, params),
  }
}
