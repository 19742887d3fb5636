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
    modules: ['metrics', 'calendar', 'attendance', 'commerce', 'scheduling'],
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
  PAYMENTS_WEBHOOK_SECRETS: () => `whsec_${randomBytes(32).toString('base64')}`,
  ORDER_TRACKING_SECRETS: () => randomBytes(32).toString('base64url'),
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
    // A database seeded before the scheduling module existed gets it on the Pro plan too.
    await query(
      `update plans set modules = array_append(modules, 'scheduling') where code = 'pro' and not ('scheduling' = any(modules))`,
    )
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
    // Plans seeded before the commerce module existed gain it (the insert above does not update).
    await query(
      `update plans set modules = array_append(modules, 'commerce'), stores_limit = 3
       where code = 'pro' and not ('commerce' = any (modules))`,
    )
    await seedDemoCommerce(query, tenantIds.get('acme') as string)
    // Campaigns and coupons (docs/commerce.md): a running campaign and a coupon on acme's storefront.
    await seedDemoCampaigns(query, tenantIds.get('acme') as string)
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
      `storefront API curl -H 'X-Tenant: acme' <base>/shop-api/v1/stores (acme's demo store; docs/commerce.md)`,
      `storefront     <base>/shop/acme (pay a PIX order: POST <fakes>/mercadopago/__control/pay, docs/commerce.md)`,
    ],
    vars: await localDevSecrets(),
  }
}

/** acme's demo shop: a dozen products (some with options, one out of stock) at one store. */
const DEMO_PRODUCTS: {
  name: string
  price: number
  stock: number
  options?: [string, number, number, [string, number][]]
}[] = [
  { name: 'Café expresso', price: 700, stock: 200 },
  {
    name: 'Cappuccino',
    price: 1200,
    stock: 150,
    options: [
      'Leite',
      1,
      1,
      [
        ['Integral', 0],
        ['Vegetal', 300],
      ],
    ],
  },
  { name: 'Pão de queijo (6 un.)', price: 1500, stock: 80 },
  { name: 'Coxinha', price: 900, stock: 60 },
  {
    name: 'Pizza margherita',
    price: 4900,
    stock: 30,
    options: [
      'Tamanho',
      1,
      1,
      [
        ['Média', 0],
        ['Grande', 1200],
      ],
    ],
  },
  {
    name: 'Açaí 500 ml',
    price: 2200,
    stock: 40,
    options: [
      'Adicionais',
      0,
      3,
      [
        ['Granola', 200],
        ['Banana', 200],
        ['Leite condensado', 300],
      ],
    ],
  },
  { name: 'Suco de laranja', price: 1000, stock: 50 },
  { name: 'Água mineral', price: 400, stock: 300 },
  { name: 'Bolo de cenoura', price: 1100, stock: 20 },
  { name: 'Brigadeiro', price: 350, stock: 100 },
  { name: 'Sanduíche natural', price: 1800, stock: 25 },
  { name: 'Torta de limão', price: 1300, stock: 0 },
]

/**
 * acme's store on Avenida Paulista (open 07:00–22:00 every day, pre-orders when closed), its
 * catalog and stock, delivery bands up to 8 km, and a few orders at different steps of the board.
 * Only when acme has no store yet, so a local change survives the next `npm run dev`.
 */
async function seedDemoCommerce(query: Query, tenantId: string): Promise<void> {
  const { rows } = await query<{ n: number }>(
    'select count(*)::int as n from commerce_stores where tenant_id = $1',
    [tenantId],
  )
  if ((rows[0]?.n ?? 0) > 0) return
  const storeId = newId('sto')
  const everyDay = Object.fromEntries(
    ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d) => [d, [['07:00', '22:00']]]),
  )
  await query(
    `insert into commerce_stores (id, tenant_id, name, street, city, state, cep, latitude, longitude, opening_hours,
       preorder_when_closed, minimum_order_cents)
     values ($1, $2, 'Acme Café Paulista', 'Av. Paulista, 1000', 'São Paulo', 'SP', '01310100', -23.5614, -46.6559, $3, true, 1500)`,
    [storeId, tenantId, JSON.stringify(everyDay)],
  )
  await query(`insert into commerce_settings (tenant_id) values ($1) on conflict do nothing`, [tenantId])
  for (const [maxKm, price] of [
    [3, 500],
    [5, 800],
    [8, 1200],
  ])
    await query(
      'insert into commerce_shipping_bands (id, tenant_id, store_id, max_km, price_cents) values ($1, $2, $3, $4, $5)',
      [newId('shb'), tenantId, storeId, maxKm, price],
    )
  // The storefront shows the catalog by category: drinks, then food, then sweets.
  const categories = new Map<string, string>()
  for (const [position, name] of ['Bebidas', 'Salgados e pratos', 'Doces'].entries()) {
    const id = newId('cat')
    categories.set(name, id)
    await query('insert into commerce_categories (id, tenant_id, name, position) values ($1, $2, $3, $4)', [
      id,
      tenantId,
      name,
      position,
    ])
  }
  const categoryOf = (name: string) =>
    categories.get(
      /Café|Cappuccino|Suco|Água|Açaí/.test(name)
        ? 'Bebidas'
        : /Bolo|Brigadeiro|Torta/.test(name)
          ? 'Doces'
          : 'Salgados e pratos',
    )
  const productIds: string[] = []
  for (const product of DEMO_PRODUCTS) {
    const productId = newId('prd')
    productIds.push(productId)
    await query(
      'insert into commerce_products (id, tenant_id, name, price_cents, category_id) values ($1, $2, $3, $4, $5)',
      [productId, tenantId, product.name, product.price, categoryOf(product.name)],
    )
    await query(
      'insert into commerce_stock (tenant_id, store_id, product_id, on_hand) values ($1, $2, $3, $4)',
      [tenantId, storeId, productId, product.stock],
    )
    if (!product.options) continue
    const [group, min, max, options] = product.options
    const groupId = newId('opg')
    await query(
      'insert into commerce_option_groups (id, tenant_id, product_id, name, min_choices, max_choices) values ($1, $2, $3, $4, $5, $6)',
      [groupId, tenantId, productId, group, min, max],
    )
    for (const [position, [name, delta]] of options.entries())
      await query(
        'insert into commerce_options (id, tenant_id, group_id, name, price_delta_cents, position) values ($1, $2, $3, $4, $5, $6)',
        [newId('opt'), tenantId, groupId, name, delta, position],
      )
  }
  // Orders already paid, at different steps of the board (their stock already sold).
  const steps = [
    ['paid', 'Ana Souza', '+5511987650001'],
    ['accepted', 'Bruno Lima', '+5511987650002'],
    ['preparing', 'Carla Dias', '+5511987650003'],
    ['out_for_delivery', 'Diego Alves', '+5511987650004'],
    ['delivered', 'Elisa Rocha', '+5511987650005'],
  ] as const
  for (const [index, [status, name, phone]] of steps.entries()) {
    const orderId = newId('ord')
    const customerId = newId('cus')
    await query(
      `insert into customers (id, tenant_id, name, phone) values ($1, $2, $3, $4) on conflict (tenant_id, phone) where phone is not null do nothing`,
      [customerId, tenantId, name, phone],
    )
    const { rows: known } = await query<{ id: string }>(
      'select id from customers where tenant_id = $1 and phone = $2',
      [tenantId, phone],
    )
    const product = DEMO_PRODUCTS[index] as (typeof DEMO_PRODUCTS)[number]
    const subtotal = product.price * 2
    await query(
      `insert into commerce_orders (id, tenant_id, store_id, customer_id, status, fulfilment, idempotency_key, request_hash,
         customer_name, customer_phone, address, subtotal_cents, shipping_cents, total_cents, payment_due_at, created_at)
       values ($1, $2, $3, $4, $5, 'delivery', $1, 'seed', $6, $7, $8, $9, 500, $10, now(), now() - make_interval(mins => $11))`,
      [
        orderId,
        tenantId,
        storeId,
        known[0]?.id,
        status,
        name,
        phone,
        JSON.stringify({
          street: 'Rua Augusta',
          number: String(100 + index),
          city: 'São Paulo',
          state: 'SP',
          cep: '01305000',
        }),
        subtotal,
        subtotal + 500,
        (steps.length - index) * 20,
      ],
    )
    await query(
      `insert into commerce_order_items (id, tenant_id, order_id, product_id, name, quantity, unit_price_cents, line_total_cents)
       values ($1, $2, $3, $4, $5, 2, $6, $7)`,
      [newId('oit'), tenantId, orderId, productIds[index], product.name, product.price, subtotal],
    )
    await query(
      `insert into commerce_payments (id, tenant_id, order_id, provider, method, status, amount_cents, provider_payment_id)
       values ($1, $2, $3, 'mercadopago', 'pix', 'approved', $4, $5)`,
      [newId('pay'), tenantId, orderId, subtotal + 500, `seed-${orderId}`],
    )
    await query(
      `insert into commerce_order_events (id, tenant_id, order_id, from_status, to_status, actor_type)
       values ($1, $2, $3, null, 'pending_payment', 'customer'), ($4, $2, $3, 'pending_payment', 'paid', 'payment_provider')`,
      [newId('oev'), tenantId, orderId, newId('oev')],
    )
  }
}

/**
 * acme's campaigns (docs/commerce.md, "Campaigns"): a running automatic 10 % off drinks with a
 * R$ 200 budget, and the coupon BEMVINDO10 (R$ 10 off orders from R$ 40, once per customer, 100
 * uses). Only when acme has none, so a local change survives the next `npm run dev`.
 */
async function seedDemoCampaigns(query: Query, tenantId: string): Promise<void> {
  const { rows } = await query<{ n: number }>(
    'select count(*)::int as n from commerce_campaigns where tenant_id = $1',
    [tenantId],
  )
  if ((rows[0]?.n ?? 0) > 0) return
  const { rows: drinks } = await query<{ id: string }>(
    `select id from commerce_categories where tenant_id = $1 and name = 'Bebidas'`,
    [tenantId],
  )
  await query(
    `insert into commerce_campaigns (id, tenant_id, name, code, target, kind, value, category_ids, minimum_order_cents,
       starts_at, ends_at, budget_kind, budget_limit, per_customer_limit)
     values ($1, $3, 'Semana do café', null, $4, 'percent', 10, $5, 0,
             now() - interval '3 days', now() + interval '30 days', 'spend', 20000, null),
            ($2, $3, 'Boas-vindas', 'BEMVINDO10', 'order', 'fixed', 1000, '{}', 4000,
             now() - interval '3 days', null, 'uses', 100, 1)`,
    [newId('cmp'), newId('cmp'), tenantId, drinks[0] ? 'items' : 'order', drinks[0] ? [drinks[0].id] : []],
  )
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
  // The backfill brings daily metrics only; followers are a snapshot that the regular collection
  // takes, which the cron starts, and wrangler dev fires no cron by itself. One "collect now" per
  // account gives the demo today's followers (and every later start adds that day's).
  const connections = (await (
    await fetch(`${baseUrl}/api/v1/connections?limit=100`, { headers })
  ).json()) as {
    data?: { id: string }[]
  }
  for (const connection of connections.data ?? [])
    await fetch(`${baseUrl}/api/v1/connections/${connection.id}/collect`, { method: 'POST', headers })
}

/** acme's Meta app secret: demo data, local only, like the demo passwords. */
const DEMO_META_APP_SECRET = 'integra-demo-meta-app-secret'

/**
 * acme's Meta webhook (its settings saved through the API) and one WhatsApp delivery status sent
 * to it by the fake Meta, addressed to the public port: in `npm run dev`'s two-Worker session the
 * edge ingress answers it and enqueues it for the app Worker, as in production.
 */
export async function setUpDemoMetaWebhook(baseUrl: string, fakesUrl: string): Promise<string> {
  const appSecret = DEMO_META_APP_SECRET
  const owner = MEMBERS[0]
  const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': '127.0.0.1' },
    body: JSON.stringify({ email: owner.email, password: owner.password }),
  })
  if (!login.ok) return `meta webhook demo skipped: owner login answered ${login.status}`
  const { access_token } = (await login.json()) as { access_token: string }
  const saved = await fetch(`${baseUrl}/api/v1/webhooks/meta/settings`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ app_secret: appSecret, verify_token: 'integra-demo-verify' }),
  })
  if (!saved.ok) return `meta webhook demo skipped: settings answered ${saved.status}`
  const url = `${baseUrl}/webhooks/meta/acme`
  const sent = await fetch(`${fakesUrl}/meta/__control/deliver`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url, app_secret: appSecret }),
  })
  const { status } = (await sent.json()) as { status: number }
  return `meta webhook ${url}: the fake Meta's signed delivery answered ${status} (POST ${fakesUrl}/meta/__control/deliver {url, app_secret} sends another)`
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

// Scheduling demo (issue 15): acme is also a small clinic.
const DEMO_PROFESSIONALS = [
  { name: 'Dra. Ana Lima', time_zone: 'America/Sao_Paulo' },
  { name: 'Dr. Bruno Costa', time_zone: 'America/Sao_Paulo' },
] as const
const DEMO_SERVICES = [
  {
    name: 'Consulta',
    duration_minutes: 50,
    buffer_after_minutes: 10,
    price_cents: 25000,
    slot_interval_minutes: 60,
  },
  { name: 'Retorno', duration_minutes: 30, price_cents: 12000, slot_interval_minutes: 30 },
  {
    name: 'Pilates em grupo',
    duration_minutes: 60,
    price_cents: 8000,
    capacity: 5,
    slot_interval_minutes: 60,
  },
] as const
const DEMO_CUSTOMERS = [
  { name: 'Maria Souza', phone: '+5511987650001', email: 'maria@example.test' },
  { name: 'João Pereira', phone: '+5511987650002', email: 'joao@example.test' },
  { name: 'Carla Dias', phone: '+5521987650003', email: null },
  { name: 'Pedro Alves', phone: '+5531987650004', email: 'pedro@example.test' },
] as const

/**
 * Sets up acme's clinic through the running Worker's API, as an owner would: two professionals
 * working weekdays 08–18 with lunch 12–13 and Saturday mornings, three services (one a group
 * class), and a week of appointments around today (past ones closed as done or no-show). Skips it
 * all when the professionals exist, so restarts add nothing. Returns the lines to print, with the
 * public booking page's URL.
 */
export async function setUpDemoScheduling(baseUrl: string): Promise<string[]> {
  const owner = MEMBERS[0]
  const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': '127.0.0.1' },
    body: JSON.stringify({ email: owner.email, password: owner.password }),
  })
  if (!login.ok) return [`scheduling demo skipped: owner login answered ${login.status}`]
  const { access_token } = (await login.json()) as { access_token: string }
  const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${baseUrl}/api/v1/scheduling${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    })
  const lines = [
    `scheduling  public booking page: ${baseUrl}/book/acme`,
    `            staff API: GET ${baseUrl}/api/v1/scheduling/appointments (as acme's owner)`,
  ]
  const existing = (await (await api('/professionals?limit=100')).json()) as { data?: { name: string }[] }
  if (existing.data?.some((p) => p.name === DEMO_PROFESSIONALS[0].name)) return lines
  const weekdays = [1, 2, 3, 4, 5].map((weekday) => ({
    weekday,
    hours: [{ start: '08:00', end: '18:00' }],
    breaks: [{ start: '12:00', end: '13:00' }],
  }))
  const plan = [...weekdays, { weekday: 6, hours: [{ start: '08:00', end: '12:00' }], breaks: [] }]
  const professionalIds: string[] = []
  for (const professional of DEMO_PROFESSIONALS) {
    const created = await api('/professionals', { method: 'POST', body: professional })
    if (!created.ok) return [`scheduling demo: ${professional.name} not created (${created.status})`]
    const { id } = (await created.json()) as { id: string }
    await api(`/professionals/${id}/working-plan`, { method: 'PUT', body: { days: plan } })
    professionalIds.push(id)
  }
  const serviceIds: string[] = []
  for (const [i, service] of DEMO_SERVICES.entries()) {
    const created = await api('/services', {
      method: 'POST',
      body: { ...service, professional_ids: i === 2 ? professionalIds.slice(1) : professionalIds },
    })
    if (!created.ok) return [`scheduling demo: ${service.name} not created (${created.status})`]
    serviceIds.push(((await created.json()) as { id: string }).id)
  }
  // Reminders a day and two hours before (so today's later appointments have one due soon, sent
  // when the cron fires); by e-mail until a WhatsApp template is chosen on /app/schedule/settings.
  await api('/reminder-rules', { method: 'PUT', body: { minutes_before: [1440, 120] } })
  // A week around today: each day, a few appointments at times the availability offers.
  const today = new Date().toLocaleDateString('en-CA', { timeZone: 'America/Sao_Paulo' })
  const dayOf = (offset: number) =>
    new Date(Date.parse(`${today}T12:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10)
  let n = 0
  for (let offset = -3; offset <= 3; offset++) {
    const date = dayOf(offset)
    for (const [s, serviceId] of serviceIds.entries()) {
      const found = (await (
        await api(`/availability?service_id=${serviceId}&from=${date}&to=${date}`)
      ).json()) as { slots?: { starts_at: string; professional_id: string }[] }
      for (const slot of (found.slots ?? []).filter((_, i) => i % (s === 2 ? 4 : 3) === 1).slice(0, 2)) {
        const customer = DEMO_CUSTOMERS[n++ % DEMO_CUSTOMERS.length]
        const booked = await api('/appointments', {
          method: 'POST',
          body: {
            service_id: serviceId,
            professional_id: slot.professional_id,
            starts_at: slot.starts_at,
            customer: {
              name: customer?.name,
              phone: customer?.phone,
              ...(customer?.email ? { email: customer.email } : {}),
            },
            reminders_consent: n % 2 === 0,
          },
        })
        if (!booked.ok || offset >= 0) continue
        const { id } = (await booked.json()) as { id: string }
        await api(`/appointments/${id}/status`, {
          method: 'POST',
          body: { status: n % 5 === 0 ? 'no_show' : 'done' },
        })
      }
    }
  }
  return [...lines, `            ${n} demo appointments from ${dayOf(-3)} to ${dayOf(3)}`]
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
