import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
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
