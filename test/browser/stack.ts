import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { spawnDeno, waitHealthy } from '../../db/local/deno-dev.ts'
import { connectDemoAccounts, seedDemoData } from '../../db/local/seed.ts'
import { spawnReady, stopChild, stopProcessGroup } from '../../db/local/spawn.ts'
import type { StackInfo } from '../../db/local/stack-info.ts'
import { freePort, localVars, startWranglerDev } from '../../db/local/wrangler-dev.ts'

const root = path.resolve(import.meta.dirname, '../..')

export type LocalStack = {
  baseUrl: string
  fakesUrl: string
  /** The database as its owner (bypasses RLS): for arranging what a test needs and no API makes. */
  ownerUrl: string
  /** The app's output lines (wrangler's or Deno's), its JSON log lines among them. */
  output: string[]
  /** Stops or starts the embedded Postgres alone (same port and data; the bridge stays up). */
  postgres: (command: 'stop' | 'start') => Promise<void>
  stop: () => Promise<void>
}

/**
 * The whole product as `npm run dev` runs it, but ephemeral and on free ports: embedded Postgres
 * and the bridge (db/local/stack.ts), the fake platforms, the demo seed, and `wrangler dev` with
 * its own state directory and queues, then acme's demo accounts connected through the API (their
 * 90-day backfill runs through the real local queue). `stop` ends all of it, in order. With
 * `runtime: 'deno'` the app runs on its Deno entry (worker/runtime/deno/main.ts, Deno KV in the
 * scratch directory) instead of `wrangler dev`: everything else is the same.
 */
export async function startLocalStack(
  options: { runtime?: 'workerd' | 'deno'; vars?: Record<string, string> } = {},
): Promise<LocalStack> {
  const [stack, fakes] = await Promise.all([
    spawnReady<StackInfo>(path.join(root, 'db/local/stack.ts'), [
      '--ephemeral',
      '--pg-port',
      '0',
      '--bridge-port',
      '0',
    ]),
    spawnReady<{ url: string }>(path.join(root, 'db/local/fake-platforms.ts'), ['--port', '0']),
  ])
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'integra-e2e-'))
  let app: { url: string; output: string[]; stop: () => Promise<void> } | undefined
  const stop = async () => {
    await app?.stop()
    await Promise.all([stopChild(fakes.child), stopChild(stack.child)])
    await fs.rm(scratch, { recursive: true, force: true })
  }
  try {
    const demo = await seedDemoData(stack.info.ownerUrl)
    const vars = { ...localVars(stack.info, fakes.info.url), ...demo.vars, ...options.vars }
    app =
      options.runtime === 'deno' ? await startDeno(scratch, vars) : await startWranglerDev({ scratch, vars })
    await connectDemoAccounts(app.url)
  } catch (error) {
    await stop()
    throw error
  }
  const lines: string[] = []
  createInterface({ input: stack.child.stdout as NodeJS.ReadableStream }).on('line', (line) =>
    lines.push(line),
  )
  // The stack answers each command with one line (db/local/stack.ts).
  const postgres = async (command: 'stop' | 'start') => {
    const answer = `POSTGRES ${command === 'stop' ? 'stopped' : 'started'}`
    const seen = lines.filter((line) => line === answer).length
    stack.child.stdin?.write(`${command}-postgres\n`)
    const deadline = Date.now() + 20_000
    while (lines.filter((line) => line === answer).length === seen) {
      if (Date.now() > deadline) throw new Error(`no "${answer}" from the stack`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  const { url: baseUrl, output } = app
  return { baseUrl, fakesUrl: fakes.info.url, ownerUrl: stack.info.ownerUrl, output, postgres, stop }
}

async function startDeno(scratch: string, vars: Record<string, string>) {
  const port = await freePort()
  const child = await spawnDeno({ port, vars, kvPath: path.join(scratch, 'deno', 'kv.sqlite3') })
  const output: string[] = []
  for (const stream of [child.stdout, child.stderr])
    createInterface({ input: stream as NodeJS.ReadableStream }).on('line', (line) => output.push(line))
  const url = `http://127.0.0.1:${port}`
  try {
    await waitHealthy(url)
  } catch (error) {
    await stopProcessGroup(child)
    throw new Error(`${(error as Error).message}; deno said:\n${output.join('\n')}`)
  }
  return { url, output, stop: () => stopProcessGroup(child) }
}
