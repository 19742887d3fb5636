import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { connectDemoAccounts, seedDemoData } from '../../db/local/seed.ts'
import { spawnReady, stopChild } from '../../db/local/spawn.ts'
import type { StackInfo } from '../../db/local/stack-info.ts'
import { PLATFORMS } from '../../db/schema/connections.ts'
import { FAKE_OAUTH_APPS } from '../fakes/oauth.ts'

const root = path.resolve(import.meta.dirname, '../..')

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

export type LocalStack = { baseUrl: string; fakesUrl: string; stop: () => Promise<void> }

/**
 * The whole product as `npm run dev` runs it, but ephemeral and on free ports: embedded Postgres
 * and the bridge (db/local/stack.ts), the fake platforms, the demo seed, and `wrangler dev` with
 * its own state directory, then acme's demo accounts connected through the API (their 90-day
 * backfill runs through the real local queue). `stop` ends all of it, in order.
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
  const info = stack.info
  const demo = await seedDemoData(info.ownerUrl)
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'integra-e2e-'))
  const envFile = path.join(scratch, 'dev.env')
  // The same local-only values as db/local/dev.ts hands to wrangler.
  await fs.writeFile(
    envFile,
    [
      'APP_ENV=development',
      `DATABASE_URL=${info.appUrl}`,
      `NEON_WS_PROXY=${info.wsProxy ?? ''}`,
      ...PLATFORMS.map((p) => `${p.toUpperCase()}_API_URL=${fakes.info.url}/${p}`),
      ...PLATFORMS.map((p) => `${p.toUpperCase()}_AUTH_URL=${fakes.info.url}/oauth/${p}/authorize`),
      `INSTAGRAM_TOKEN_URL=${fakes.info.url}/oauth/instagram/access_token`,
      ...Object.entries(FAKE_OAUTH_APPS).flatMap(([p, app]) => [
        `${p.toUpperCase()}_CLIENT_ID=${app.clientId}`,
        `${p.toUpperCase()}_CLIENT_SECRET=${app.clientSecret}`,
      ]),
      ...Object.entries(demo.vars).map(([key, value]) => `${key}=${value}`),
    ].join('\n'),
    { mode: 0o600 },
  )
  const port = await freePort()
  const wrangler: ChildProcess = spawn(
    path.join(root, 'node_modules/.bin/wrangler'),
    [
      'dev',
      '--local',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(await freePort()),
      '--env-file',
      envFile,
      '--show-interactive-dev-session=false',
      '--persist-to',
      path.join(scratch, 'state'),
    ],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      detached: true,
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        WRANGLER_HIDE_BANNER: 'true',
        DO_NOT_TRACK: '1',
      },
    },
  )
  const baseUrl = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (wrangler.pid && wrangler.exitCode === null) {
      const exited = new Promise((resolve) => wrangler.once('exit', resolve))
      try {
        process.kill(-wrangler.pid, 'SIGTERM')
      } catch {}
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))])
      try {
        process.kill(-wrangler.pid, 'SIGKILL')
      } catch {}
    }
    await Promise.all([stopChild(fakes.child), stopChild(stack.child)])
    await fs.rm(scratch, { recursive: true, force: true })
  }
  try {
    for (let i = 0; ; i++) {
      const ok = await fetch(`${baseUrl}/health/ready`).then(
        (r) => r.ok,
        () => false,
      )
      if (ok) break
      if (i > 600 || wrangler.exitCode !== null) throw new Error('wrangler dev did not become ready')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    await connectDemoAccounts(baseUrl)
  } catch (error) {
    await stop()
    throw error
  }
  return { baseUrl, fakesUrl: fakes.info.url, stop }
}
