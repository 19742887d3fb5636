import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { connectDemoAccounts, seedDemoData } from '../../db/local/seed.ts'
import { spawnReady, stopChild } from '../../db/local/spawn.ts'
import type { StackInfo } from '../../db/local/stack-info.ts'
import { localVars, startWranglerDev, type WranglerDev } from '../../db/local/wrangler-dev.ts'

const root = path.resolve(import.meta.dirname, '../..')

export type LocalStack = {
  baseUrl: string
  fakesUrl: string
  /** The database as its owner (bypasses RLS): for arranging what a test needs and no API makes. */
  ownerUrl: string
  stop: () => Promise<void>
}

/**
 * The whole product as `npm run dev` runs it, but ephemeral and on free ports: embedded Postgres
 * and the bridge (db/local/stack.ts), the fake platforms, the demo seed, and `wrangler dev` with
 * its own state directory and queues, then acme's demo accounts connected through the API (their
 * 90-day backfill runs through the real local queue). `stop` ends all of it, in order.
 */
export async function startLocalStack(): Promise<LocalStack> {
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
  let wrangler: WranglerDev | undefined
  const stop = async () => {
    await wrangler?.stop()
    await Promise.all([stopChild(fakes.child), stopChild(stack.child)])
    await fs.rm(scratch, { recursive: true, force: true })
  }
  try {
    const demo = await seedDemoData(stack.info.ownerUrl)
    wrangler = await startWranglerDev({
      scratch,
      vars: { ...localVars(stack.info, fakes.info.url), ...demo.vars },
    })
    await connectDemoAccounts(wrangler.url)
  } catch (error) {
    await stop()
    throw error
  }
  return { baseUrl: wrangler.url, fakesUrl: fakes.info.url, ownerUrl: stack.info.ownerUrl, stop }
}
