import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { Client } from '@neondatabase/serverless'
import { vi } from 'vitest'
import type { Bindings } from '../../worker/env.ts'
import worker from '../../worker/index.ts'

export const TEST_ORIGIN = 'https://integra.test'

/**
 * Calls the Worker's real fetch handler with the given bindings and waits for its `waitUntil`
 * work (the database close) so nothing leaks into the next test.
 */
export async function callWorker(env: Bindings, path: string, init?: RequestInit): Promise<Response> {
  const ctx = createExecutionContext()
  const response = await worker.fetch(new Request(new URL(path, TEST_ORIGIN), init), env, ctx)
  await waitOnExecutionContext(ctx)
  return response
}

/** Collects the JSON log lines written while `work` runs. */
export async function captureLogs<T>(
  work: () => Promise<T>,
): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = []
  const originals = { log: console.log, warn: console.warn, error: console.error }
  const capture = (...args: unknown[]) => {
    for (const arg of args) {
      if (typeof arg !== 'string') continue
      try {
        lines.push(JSON.parse(arg) as Record<string, unknown>)
      } catch {
        lines.push({ raw: arg })
      }
    }
  }
  console.log = console.warn = console.error = capture
  try {
    const result = await work()
    return { result, lines }
  } finally {
    Object.assign(console, originals)
  }
}

/** Every statement the driver sends while `work` runs, transaction control included. */
export async function recordSql<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const statements: string[] = []
  const query = Client.prototype.query
  vi.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
    const [config] = args
    statements.push(typeof config === 'string' ? config : String((config as { text?: string }).text))
    return (query as (...a: unknown[]) => unknown).apply(this, args)
  } as typeof query)
  try {
    return { result: await work(), statements }
  } finally {
    vi.restoreAllMocks()
  }
}
