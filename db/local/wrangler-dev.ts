import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { unstable_readConfig } from 'wrangler'
import { PLATFORMS } from '../schema/connections.ts'
import { FAKE_OAUTH_APPS } from './fakes/oauth.ts'
import { stopProcessGroup } from './spawn.ts'
import type { StackInfo } from './stack-info.ts'

const root = path.resolve(import.meta.dirname, '../..')

/** A free TCP port on loopback (the OS picks it; released before returning). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/**
 * The Worker's JSON log lines in wrangler's output (it prefixes warnings and errors and colours
 * them), optionally only those with this `message`.
 */
export function workerLogs(output: string[], message?: string): Record<string, unknown>[] {
  return output.flatMap((line) => {
    const start = line.indexOf('{"level"')
    if (start < 0) return []
    try {
      const parsed = JSON.parse(line.slice(start, line.lastIndexOf('}') + 1)) as Record<string, unknown>
      return message === undefined || parsed.message === message ? [parsed] : []
    } catch {
      return []
    }
  })
}

/**
 * The local-only values the Worker runs with on this machine: the local database through the
 * bridge, every platform (API, OAuth pages, token exchange, Telegram) on the fake server, and the
 * fake platforms' own app credentials so "Connect with …" (OAuth) works offline.
 */
export function localVars(stack: StackInfo, fakesUrl: string): Record<string, string> {
  return {
    APP_ENV: 'development',
    DATABASE_URL: stack.appUrl,
    NEON_WS_PROXY: stack.wsProxy ?? '',
    ...Object.fromEntries(
      PLATFORMS.flatMap((platform) => [
        [`${platform.toUpperCase()}_API_URL`, `${fakesUrl}/${platform}`],
        [`${platform.toUpperCase()}_AUTH_URL`, `${fakesUrl}/oauth/${platform}/authorize`],
      ]),
    ),
    INSTAGRAM_TOKEN_URL: `${fakesUrl}/oauth/instagram/access_token`,
    TELEGRAM_API_URL: `${fakesUrl}/telegram`,
    // Outbound e-mail goes to the fake Resend; what was sent shows at `${fakesUrl}/resend/__mailbox`.
    RESEND_API_URL: `${fakesUrl}/resend`,
    RESEND_API_KEY: 're_local_development',
    // Commerce's payments go to the fake Mercado Pago (PIX).
    PAYMENTS_API_URL: `${fakesUrl}/mercadopago`,
    PAYMENTS_ACCESS_TOKEN: 'TEST-local-development',
    // CEP → address (ViaCEP) and → point (Nominatim) for shipping quotes.
    CEP_API_URL: `${fakesUrl}/viacep`,
    GEOCODER_API_URL: `${fakesUrl}/nominatim`,
    ...Object.fromEntries(
      Object.entries(FAKE_OAUTH_APPS).flatMap(([platform, app]) => [
        [`${platform.toUpperCase()}_CLIENT_ID`, app.clientId],
        [`${platform.toUpperCase()}_CLIENT_SECRET`, app.clientSecret],
      ]),
    ),
  }
}

/** Writes `vars` as an env file wrangler reads (`--env-file`), readable by this user only. */
export async function writeEnvFile(file: string, vars: Record<string, string>): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true })
  await fs.writeFile(
    file,
    Object.entries(vars)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n'),
    { mode: 0o600 },
  )
}

/**
 * The app Worker's configuration for `npm run dev`'s two-Worker session, written as JSON (mode
 * 600) to `file`: wrangler.toml's bindings (Durable Objects included), cron and queue
 * consumers, with `vars` (the local values, secrets included) in it. In a session of several configs only the first (the edge
 * ingress) reads `--env-file`; the others read a `.dev.vars` beside their config, which at the
 * root would be a developer's own: so the app's configuration is generated beside its values
 * under `.wrangler/`. Paths are absolute, as the file is not where wrangler.toml is.
 */
export async function writeAppConfig(file: string, vars: Record<string, string>): Promise<void> {
  const base = unstable_readConfig({ config: path.join(root, 'wrangler.toml') })
  const config = {
    name: base.name,
    main: path.resolve(root, base.main as string),
    compatibility_date: base.compatibility_date,
    compatibility_flags: base.compatibility_flags,
    assets: base.assets && { ...base.assets, directory: path.resolve(root, base.assets.directory ?? '') },
    kv_namespaces: base.kv_namespaces,
    queues: base.queues,
    triggers: base.triggers,
    ratelimits: base.ratelimits,
    r2_buckets: base.r2_buckets,
    durable_objects: base.durable_objects,
    migrations: base.migrations,
    observability: base.observability,
    vars: { ...base.vars, ...vars },
  }
  await fs.mkdir(path.dirname(file), { recursive: true })
  await fs.writeFile(file, JSON.stringify(config, null, 2), { mode: 0o600 })
}

/**
 * The environment of every local `wrangler dev` (npm run dev and the test and bench stacks): no
 * telemetry, no banner, and no `Request.cf` lookup. Miniflare otherwise fetches
 * workers.cloudflare.com/cf.json at start to fill `request.cf`; offline that fails with a
 * `getaddrinfo ENOTFOUND` stack printed twice, and it falls back to its built-in placeholder,
 * which is what CLOUDFLARE_CF_FETCH_ENABLED=false gives at once, silently.
 */
export const WRANGLER_ENV: Readonly<Record<string, string>> = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  DO_NOT_TRACK: '1',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
}

export type WranglerDev = {
  url: string
  /** Lines wrangler printed so far (stdout and stderr), the Worker's JSON logs among them. */
  output: string[]
  stop: () => Promise<void>
}

/**
 * `wrangler dev`, fully local on free ports, of the project's own wrangler.toml (so its queue
 * consumers run too) or of `config` (written to `scratch` as wrangler.json), with `vars` in an env
 * file (mode 600) and its state and dev registry under `scratch`, so its queues are its own.
 * Resolves once `/health` answers; `stop` ends wrangler's whole process group.
 */
export async function startWranglerDev(options: {
  scratch: string
  vars: Record<string, string>
  config?: object
  /** More `wrangler dev` flags (`--log-level none`…). */
  args?: readonly string[]
}): Promise<WranglerDev> {
  const configArgs: string[] = []
  if (options.config) {
    const file = path.join(options.scratch, 'wrangler.json')
    await fs.mkdir(options.scratch, { recursive: true })
    await fs.writeFile(file, JSON.stringify(options.config, null, 2))
    configArgs.push('--config', file)
  }
  const envFile = path.join(options.scratch, 'dev.env')
  await writeEnvFile(envFile, options.vars)
  const port = await freePort()
  const child: ChildProcess = spawn(
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
      path.join(options.scratch, 'state'),
      ...configArgs,
      ...(options.args ?? []),
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: {
        ...process.env,
        ...WRANGLER_ENV,
        // A registry of its own: through the shared one (~/.config/.wrangler/registry), another
        // `wrangler dev` on the machine that only produces to `integra-jobs` (the bench, say) would
        // have its messages consumed by this session, against this session's database.
        WRANGLER_REGISTRY_PATH: path.join(options.scratch, 'registry'),
      },
    },
  )
  const output: string[] = []
  for (const stream of [child.stdout, child.stderr])
    createInterface({ input: stream as NodeJS.ReadableStream }).on('line', (line) => output.push(line))
  const url = `http://127.0.0.1:${port}`
  const stop = () => stopProcessGroup(child)
  const deadline = Date.now() + 90_000
  while (
    !(await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop()
      throw new Error(`wrangler dev did not start:\n${output.slice(-20).join('\n')}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { url, output, stop }
}
