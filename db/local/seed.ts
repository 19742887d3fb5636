import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { newId } from '../../db/ids.ts'
import { hashPassword } from '../../worker/auth/password.ts'

export type DemoData = {
  /** Lines printed by `npm run dev` (URLs, demo logins). */
  lines: string[]
  /** Extra local-only variables for the Worker (e.g. demo signing secrets). */
  vars: Record<string, string>
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
/** Git-ignored (.data/): generated once, so tokens and webhook signatures survive restarts. */
export const DEV_SECRETS_FILE = path.join(root, '.data', 'dev-secrets.json')

/** The demo world. Passwords are public on purpose: this data exists only on local machines. */
const PLANS = [
  {
    code: 'starter',
    name: 'Starter',
    modules: ['metrics'],
    users: 3,
    connections: 5,
    retention: 365,
    interval: 360,
  },
  {
    code: 'pro',
    name: 'Pro',
    modules: ['metrics', 'calendar'],
    users: 20,
    connections: 50,
    retention: 730,
    interval: 60,
  },
] as const
const TENANTS = [
  { slug: 'acme', name: 'Acme Comunicação', plan: 'pro' },
  // A second tenant so that isolation is visible: acme's people never see umbrella's rows.
  { slug: 'umbrella', name: 'Umbrella Corp', plan: 'starter' },
] as const
const OPERATOR = {
  email: 'operator@integra.example',
  name: 'Demo Operator',
  password: 'integra-operator-demo',
}
const MEMBERS = [
  {
    tenant: 'acme',
    email: 'owner@acme.example',
    name: 'Acme Owner',
    role: 'owner',
    password: 'integra-owner-demo',
  },
  {
    tenant: 'acme',
    email: 'analyst@acme.example',
    name: 'Acme Analyst',
    role: 'analyst',
    password: 'integra-analyst-demo',
  },
  {
    tenant: 'umbrella',
    email: 'owner@umbrella.example',
    name: 'Umbrella Owner',
    role: 'owner',
    password: 'integra-umbrella-demo',
  },
] as const

/** Invited to acme, not joined yet. */
const INVITED = { email: 'invited@acme.example', name: 'Acme Invitee' }

/** Each local-only Worker secret and how to make a fresh one. */
const SECRET_GENERATORS: Record<string, () => string> = {
  JWT_SIGNING_KEYS: () => `dev1:${randomBytes(32).toString('base64url')}`,
  BILLING_WEBHOOK_SECRETS: () => `whsec_${randomBytes(32).toString('base64')}`,
  VAULT_MASTER_KEYS: () => `dev1:${randomBytes(32).toString('base64url')}`,
}

/**
 * The Worker's local secrets from `.data/dev-secrets.json`, creating the file (mode 600) or
 * adding a secret it lacks. Never committed: `.data/` is git-ignored.
 */
export async function localDevSecrets(file = DEV_SECRETS_FILE): Promise<Record<string, string>> {
  let stored: Record<string, unknown> = {}
  try {
    stored = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`${file} is not readable JSON; delete it to generate new local secrets`)
    }
  }
  const secrets: Record<string, string> = {}
  let changed = false
  for (const [name, generate] of Object.entries(SECRET_GENERATORS)) {
    const value = stored[name]
    if (typeof value === 'string' && value) secrets[name] = value
    else {
      secrets[name] = generate()
      changed = true
    }
  }
  if (changed) {
    await fs.mkdir(path.dirname(file), { recursive: true })
    await fs.writeFile(file, `${JSON.stringify({ ...stored, ...secrets }, null, 2)}\n`, { mode: 0o600 })
  }
  return secrets
}

type Query = pg.Client['query']

/** Inserts an account only when its e-mail is new, so the slow password hash runs once per account. */
async function accountExists(query: Query, table: 'operators' | 'users', email: string): Promise<boolean> {
  const result = await query(`select 1 from ${table} where lower(email) = lower($1)`, [email])
  return (result.rowCount ?? 0) > 0
}

/**
 * Seeds the demo data idempotently, as the owner role: every insert is ON CONFLICT DO NOTHING
 * or guarded by an existence check, so a rerun neither duplicates nor fails and never overwrites
 * what someone changed locally. Safe to run on every `npm run dev`.
 */
export async function seedDemoData(ownerUrl: string): Promise<DemoData> {
  const client = new pg.Client({ connectionString: ownerUrl })
  const query: Query = client.query.bind(client)
  await client.connect()
  try {
    await query('begin')
    // A local superuser bypasses row-level security; a Neon owner does not (FORCE): the seed
    // writes rows of several tenants, which is what operator mode is for.
    await query("select set_config('app.operator', 'on', true)")

    for (const plan of PLANS) {
      await query(
        `insert into plans (id, code, name, modules, users_limit, connections_limit, retention_days, collection_interval_minutes)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (code) do nothing`,
        [
          newId('pln'),
          plan.code,
          plan.name,
          plan.modules,
          plan.users,
          plan.connections,
          plan.retention,
          plan.interval,
        ],
      )
    }
    const tenantIds = new Map<string, string>()
    for (const tenant of TENANTS) {
      await query('insert into tenants (id, slug, name) values ($1, $2, $3) on conflict (slug) do nothing', [
        newId('ten'),
        tenant.slug,
        tenant.name,
      ])
      const { rows } = await query<{ id: string }>('select id from tenants where slug = $1', [tenant.slug])
      const tenantId = rows[0]?.id as string
      tenantIds.set(tenant.slug, tenantId)
      // Only a tenant without any license gets the demo one (a year from the first seed).
      await query(
        `insert into licenses (id, tenant_id, plan_id, status, valid_from, valid_until)
         select $1, $2, p.id, 'active', now(), now() + interval '1 year' from plans p
         where p.code = $3 and not exists (select 1 from licenses where tenant_id = $2)`,
        [newId('lic'), tenantId, tenant.plan],
      )
    }

    if (!(await accountExists(query, 'operators', OPERATOR.email))) {
      await query(
        'insert into operators (id, email, name, password_hash) values ($1, $2, $3, $4) on conflict do nothing',
        [newId('opr'), OPERATOR.email, OPERATOR.name, await hashPassword(OPERATOR.password)],
      )
    }
    for (const member of MEMBERS) {
      if (await accountExists(query, 'users', member.email)) continue
      await query(
        `insert into users (id, tenant_id, email, name, role, password_hash)
         values ($1, $2, $3, $4, $5, $6) on conflict do nothing`,
        [
          newId('usr'),
          tenantIds.get(member.tenant),
          member.email,
          member.name,
          member.role,
          await hashPassword(member.password),
        ],
      )
    }
    // Accounts (issue 20): a pending invitation on acme's team page (its link was never sent here:
    // "Send again" on the team page mails a fresh one to the dev mailbox).
    if (!(await accountExists(query, 'users', INVITED.email))) {
      await query(
        `insert into users (id, tenant_id, email, name, role, password_hash, status)
         values ($1, $2, $3, $4, 'viewer', '!invited', 'invited') on conflict do nothing`,
        [newId('usr'), tenantIds.get('acme'), INVITED.email, INVITED.name],
      )
    }
    await seedDemoMessages(query, tenantIds.get('acme') as string)
    await query('commit')
  } catch (error) {
    await query('rollback').catch(() => undefined)
    throw error
  } finally {
    await client.end()
  }

  const logins = [
    ['operator', OPERATOR.email, OPERATOR.password],
    ...MEMBERS.map((m) => [`${m.tenant} ${m.role}`, m.email, m.password]),
  ]
  return {
    lines: [
      'demo logins (e-mail / password):',
      ...logins.map(([who, email, password]) => `  ${who?.padEnd(16)} ${email} / ${password}`),
      `local secrets  ${path.relative(root, DEV_SECRETS_FILE)} (JWT keys, billing webhook secret, vault master key)`,
    ],
    vars: await localDevSecrets(),
  }
}

/**
 * WhatsApp messages acme sent, one at each status a webhook moves them to, so the live messages
 * page (/app/messages, docs/realtime.md) has something to show on first start. Written once
 * (their idempotency keys); never sent (they are past `queued`).
 */
const DEMO_MESSAGES = [
  { key: 'demo:reminder:1', to: '5511987650001', status: 'read', minutesAgo: 180 },
  { key: 'demo:reminder:2', to: '5511987650002', status: 'delivered', minutesAgo: 90 },
  { key: 'demo:reminder:3', to: '5511987650003', status: 'sent', minutesAgo: 5 },
] as const

async function seedDemoMessages(query: Query, tenantId: string): Promise<void> {
  for (const message of DEMO_MESSAGES) {
    await query(
      `insert into outbound_messages (id, tenant_id, channel, purpose, recipient, payload, idempotency_key,
         status, provider_message_id, attempts, sent_at, created_at, updated_at)
       values ($1, $2, 'whatsapp', 'scheduling.reminder', $3, $4, $5, $6, $7, 1,
         now() - make_interval(mins => $8), now() - make_interval(mins => $8), now() - make_interval(mins => $8))
       on conflict (tenant_id, idempotency_key) do nothing`,
      [
        newId('msg'),
        tenantId,
        message.to,
        JSON.stringify({
          content: {
            type: 'template',
            name: 'appointment_reminder',
            language: 'pt_BR',
            parameters: ['Maria', '9h'],
          },
        }),
        message.key,
        message.status,
        `wamid.demo-${message.key.replaceAll(':', '-')}`,
        message.minutesAgo,
      ],
    )
  }
}

/** One demo account per platform for acme; ids look like each platform's own. */
const DEMO_ACCOUNTS = [
  { platform: 'instagram', external_account_id: '17841400000000101', label: 'Instagram @acme' },
  { platform: 'facebook', external_account_id: '104000000000101', label: 'Página Acme' },
  { platform: 'x', external_account_id: '1400000000000000101', label: 'X @acme' },
  { platform: 'tiktok', external_account_id: '-000acmeOpenId101', label: 'TikTok @acme' },
  { platform: 'whatsapp', external_account_id: '102000000000101', label: 'WhatsApp Business' },
] as const

/**
 * Tokens the fake platforms accept. X and TikTok name no account in their requests, so their
 * fakes read it from the token (`fake-x.<user id>.…`, `fake-tt.<open_id>.…`).
 */
function demoTokens(platform: string, account: string) {
  if (platform === 'x')
    return { access_token: `fake-x.${account}.demo`, refresh_token: `fake-xr.${account}.demo` }
  if (platform === 'tiktok')
    return { access_token: `fake-tt.${account}.demo`, refresh_token: `fake-ttr.${account}.demo` }
  return { access_token: `fake-demo-${platform}-access`, refresh_token: `fake-demo-${platform}-refresh` }
}

/**
 * Connects acme's demo accounts through the running Worker's own API (register-token flow, fake
 * platform tokens), exactly as a tenant would: tokens go to the vault and the 90-day backfill
 * runs through the real queue. Skips accounts already connected, so restarts add nothing.
 */
export async function connectDemoAccounts(baseUrl: string): Promise<void> {
  const owner = MEMBERS[0]
  const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': '127.0.0.1' },
    body: JSON.stringify({ email: owner.email, password: owner.password }),
  })
  if (!login.ok) {
    console.warn(`[dev] demo connections skipped: owner login answered ${login.status}`)
    return
  }
  const { access_token } = (await login.json()) as { access_token: string }
  const headers = { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' }
  const existing = (await (await fetch(`${baseUrl}/api/v1/connections?limit=100`, { headers })).json()) as {
    data?: { platform: string; external_account_id: string }[]
  }
  for (const account of DEMO_ACCOUNTS) {
    if (existing.data?.some((c) => c.external_account_id === account.external_account_id)) continue
    const response = await fetch(`${baseUrl}/api/v1/connections`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        ...account,
        ...demoTokens(account.platform, account.external_account_id),
        // Long-lived, like a 60-day Instagram token, so the demo token is not refreshed away.
        expires_at: new Date(Date.now() + 60 * 86_400_000).toISOString(),
      }),
    })
    const outcome = response.ok
      ? 'connected, 90-day backfill queued'
      : `not connected (${response.status} ${(await response.text()).slice(0, 120)})`
    console.log(`[dev]   ${account.platform.padEnd(9)} ${outcome}`)
  }
}

/** acme's demo rentals: each channel's feed is served, dated from today, by the fake iCal host. */
const DEMO_PROPERTIES = [
  {
    name: 'Casa da Praia',
    address: 'Rua do Sol 120, Ubatuba - SP',
    timezone: 'America/Sao_Paulo',
    capacity: 6,
    feeds: [
      { channel: 'airbnb', name: 'Airbnb', feed: 'casa-airbnb' },
      { channel: 'booking', name: 'Booking.com', feed: 'casa-booking' },
    ],
  },
  {
    name: 'Loft Centro',
    address: 'Av. São João 400, São Paulo - SP',
    timezone: 'America/Sao_Paulo',
    capacity: 2,
    feeds: [
      { channel: 'airbnb', name: 'Airbnb', feed: 'loft-airbnb' },
      { channel: 'vrbo', name: 'VRBO', feed: 'loft-vrbo' },
    ],
  },
] as const
/** The fake Telegram accepts any token shaped like BotFather's; the chat is where the demo alert lands. */
const DEMO_TELEGRAM = { bot_token: '7000000001:AAdemo-integra-calendar-alerts-bot-0001', chat_id: '424242' }

/**
 * Sets up acme's calendar through the running Worker's API, as an owner would: alerts to the fake
 * Telegram, two properties, and their Airbnb/Booking.com/VRBO feeds on the fake iCal host. Each
 * new source queues its first sync, which finds the demo's one real conflict (Loft Centro, Airbnb ×
 * VRBO) and alerts it once. Skips what exists, so restarts add nothing.
 */
export async function setUpDemoCalendar(baseUrl: string, fakesUrl: string): Promise<string[]> {
  const owner = MEMBERS[0]
  const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': '127.0.0.1' },
    body: JSON.stringify({ email: owner.email, password: owner.password }),
  })
  if (!login.ok) return [`calendar demo skipped: owner login answered ${login.status}`]
  const { access_token } = (await login.json()) as { access_token: string }
  const headers = { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' }
  const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${baseUrl}/api/v1/calendar${path}`, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    })
  const alerts = (await (await api('/alerts')).json()) as { telegram_bot_token_set?: boolean }
  if (!alerts.telegram_bot_token_set) {
    await api('/alerts', {
      method: 'PUT',
      body: { telegram_bot_token: DEMO_TELEGRAM.bot_token, telegram_chat_id: DEMO_TELEGRAM.chat_id },
    })
  }
  const existing = (await (await api('/properties?limit=100')).json()) as {
    data?: { id: string; name: string }[]
  }
  // Feeds that exist are not posted again: a 409 would still print an ERROR line in Postgres's log.
  const sources = (await (await api('/sources?limit=100')).json()) as {
    data?: { property_id: string; name: string }[]
  }
  for (const demo of DEMO_PROPERTIES) {
    let id = existing.data?.find((p) => p.name === demo.name)?.id
    if (!id) {
      const { feeds: _, ...property } = demo
      const created = await api('/properties', { method: 'POST', body: property })
      if (!created.ok) return [`calendar demo: ${demo.name} not created (${created.status})`]
      id = ((await created.json()) as { id: string }).id
    }
    for (const feed of demo.feeds) {
      if (sources.data?.some((source) => source.property_id === id && source.name === feed.name)) continue
      await api('/sources', {
        method: 'POST',
        body: {
          property_id: id,
          channel: feed.channel,
          name: feed.name,
          ical_url: `${fakesUrl}/ical/demo/${feed.feed}.ics`,
        },
      })
    }
  }
  return [
    `calendar    ${DEMO_PROPERTIES.map((p) => p.name).join(' and ')} sync from the fake iCal host;`,
    `            conflicts: GET ${baseUrl}/api/v1/calendar/conflicts (as acme's owner)`,
    `            alerts sent: ${fakesUrl}/telegram/__control/messages?chat_id=${DEMO_TELEGRAM.chat_id}`,
  ]
}

// `npm run db:seed` against MIGRATION_DATABASE_URL (owner) or DATABASE_URL.
if (import.meta.main) {
  const url = process.env.MIGRATION_DATABASE_URL ?? process.env.DATABASE_URL
  if (!url) {
    console.error('Set MIGRATION_DATABASE_URL (owner role) or DATABASE_URL to the database to seed.')
    process.exit(2)
  }
  const demo = await seedDemoData(url)
  for (const line of demo.lines) console.log(line)
}
