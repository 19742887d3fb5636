import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '../..')

/**
 * Starts Integra's Deno entry (worker/runtime/deno/main.ts) on `port` with `vars` as its
 * environment, the names the Worker's vars and secrets have. Deno comes from node_modules (the
 * `deno` npm package); deno.json turns on KV and cron and maps `cloudflare:workers`. The child
 * runs in its own process group (stopped with stopProcessGroup); Deno KV lives in `kvPath`.
 */
export async function spawnDeno(options: {
  port: number
  vars: Record<string, string>
  kvPath: string
  stdio?: 'inherit' | 'pipe'
}): Promise<ChildProcess> {
  await fs.mkdir(path.dirname(options.kvPath), { recursive: true })
  return spawn(
    path.join(root, 'node_modules', '.bin', 'deno'),
    [
      'run',
      '--allow-all',
      '--config',
      path.join(root, 'deno.json'),
      path.join(root, 'worker/runtime/deno/main.ts'),
    ],
    {
      cwd: root,
      detached: true,
      stdio: ['ignore', options.stdio ?? 'pipe', options.stdio ?? 'pipe'],
      env: {
        ...process.env,
        ...options.vars,
        PORT: String(options.port),
        HOST: '127.0.0.1',
        DENO_KV_PATH: options.kvPath,
        NO_COLOR: '1',
      },
    },
  )
}

/** Waits until `${base}/health` answers 200 (or gives up after `timeoutMs`). */
export async function waitHealthy(base: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ok = await fetch(`${base}/health`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${base}/health did not answer within ${timeoutMs} ms`)
}
