import { env } from 'cloudflare:workers'
import { Client } from '@neondatabase/serverless'
import { configureDriver } from '../../db/client.ts'
import type { Bindings } from '../../worker/env.ts'

export type TestBindings = Bindings & {
  TEST_OWNER_URL: string
  TEST_TEMPLATE_DATABASE: string
  TEST_FAKE_PLATFORMS_URL: string
}

/** The bindings miniflare gives the test worker (shared database `integra_test`). */
export const sharedEnv = env as unknown as TestBindings

function withDatabase(url: string, database: string): string {
  const next = new URL(url)
  next.pathname = `/${database}`
  return next.href
}

export type Query = <T = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]>

/** Several statements on one connection (so session settings carry over), as whichever role the URL names. */
export async function withClient<R>(
  connectionString: string,
  work: (query: Query) => Promise<R>,
): Promise<R> {
  configureDriver(sharedEnv.NEON_WS_PROXY || undefined)
  const client = new Client({ connectionString })
  client.on('error', () => {})
  await client.connect()
  try {
    return await work(
      async <T>(text: string, params: unknown[] = []) => (await client.query(text, params)).rows as T[],
    )
  } finally {
    await client.end()
  }
}

/** Runs one statement as the owner role (bypasses RLS): for setting up and inspecting tests only. */
export function asOwner<T = Record<string, unknown>>(
  connectionString: string,
  text: string,
  params: unknown[] = [],
) {
  return withClient(connectionString, (query) => query<T>(text, params))
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

/** A Queue binding that records what is sent, so tests can count sends and run the messages. */
export function captureQueue() {
  const messages: unknown[] = []
  let batches = 0
  const queue = {
    async send(body: unknown) {
      messages.push(body)
    },
    async sendBatch(batch: Iterable<{ body: unknown }>) {
      batches++
      for (const item of batch) messages.push(item.body)
    },
  } as unknown as Queue<never>
  return {
    queue,
    messages,
    get batches() {
      return batches
    },
  }
}

/**
 * Drives the fake platforms (revoke a token, script an account's failures, count requests). The
 * fake is shared by every test file: revoke and script only tokens and accounts of the test's own.
 */
export async function fakeControl(path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${sharedEnv.TEST_FAKE_PLATFORMS_URL}/__control/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return response.json()
}
