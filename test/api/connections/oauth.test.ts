import { decodeJwt } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { DbHandle } from '../../../db/client.ts'
import { FAKE_OAUTH_APPS } from '../../../db/local/fakes/oauth.ts'
import { loadConfig } from '../../../worker/config.ts'
import type { JobMessage } from '../../../worker/jobs/messages.ts'
import { workersKv } from '../../../worker/runtime/cloudflare.ts'
import { signOAuthState, verifyOAuthState } from '../../../worker/services/connections/oauth/state.ts'
import { Vault } from '../../../worker/vault/vault.ts'
import { setup, uniqueAccount } from '../../helpers/connections.ts'
import { createTestDatabase, type TestBindings, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, errorCode, login } from '../../helpers/fixtures.ts'
import { callWorker, captureLogs } from '../../helpers/worker.ts'

type Platform = keyof typeof FAKE_OAUTH_APPS

/** The fake platforms' app credentials as the `<PLATFORM>_CLIENT_ID` / `_CLIENT_SECRET` secrets. */
const OAUTH_SECRETS = Object.fromEntries(
  Object.entries(FAKE_OAUTH_APPS).flatMap(([platform, app]) => [
    [`${platform.toUpperCase()}_CLIENT_ID`, app.clientId],
    [`${platform.toUpperCase()}_CLIENT_SECRET`, app.clientSecret],
  ]),
)

let plain: TestDatabase
let db: TestDatabase
beforeAll(async () => {
  plain = await createTestDatabase()
  db = { ...plain, env: { ...plain.env, ...OAUTH_SECRETS } as TestBindings }
})

type Call = ReturnType<typeof as>
type Connection = {
  id: string
  platform: string
  external_account_id: string
  status: string
  display_name: string
}
type Connected = { created: Connection[]; reconnected: Connection[] }
type Selection = {
  selection_id: string
  platform: string
  accounts: { external_account_id: string; name: string; already_connected: boolean }[]
  expires_at: string
}

async function start(call: Call, platform: Platform) {
  const response = await call(`/api/v1/connections/oauth/${platform}/start`)
  expect(response.status).toBe(200)
  return (await response.json()) as { authorization_url: string; expires_at: string }
}

/** The person on the platform's authorization page: where the fake sends the browser back. */
async function authorize(authorizationUrl: string, asPerson: Record<string, string> = {}) {
  const url = new URL(authorizationUrl)
  for (const [key, value] of Object.entries(asPerson)) url.searchParams.set(key, value)
  const response = await fetch(url, { redirect: 'manual' })
  expect(response.status).toBe(302)
  return response.headers.get('location') as string
}

/** The browser arriving at the callback: no Authorization header. */
const callback = (env: TestBindings, location: string) => callWorker(env, location)

/** start → authorization page → callback, as one person. */
async function connectThrough(
  env: TestBindings,
  call: Call,
  platform: Platform,
  asPerson: Record<string, string> = {},
) {
  const { authorization_url } = await start(call, platform)
  return callback(env, await authorize(authorization_url, asPerson))
}

const countConnections = async (tenantId: string) =>
  (
    await db.owner<{ n: number }>('select count(*)::int as n from connections where tenant_id = $1', [
      tenantId,
    ])
  )[0]?.n

const stateRows = (tenantId: string) =>
  db.owner<{ used_at: Date | null; code_verifier: string | null }>(
    'select used_at, code_verifier from oauth_states where tenant_id = $1',
    [tenantId],
  )

async function readSecret(
  env: TestBindings,
  tenantId: string,
  ownerId: string,
  purpose: 'access_token' | 'refresh_token',
  version: number,
) {
  const handle = new DbHandle({
    connectionString: env.DATABASE_URL as string,
    wsProxy: env.NEON_WS_PROXY,
    connectTimeoutMs: 5000,
  })
  try {
    return await handle.transaction(
      (tx) =>
        new Vault(tx, workersKv(env.TOKENS), loadConfig(env).VAULT_MASTER_KEYS).get(
          { tenantId, ownerId, purpose },
          version,
        ),
      { tenantId },
    )
  } finally {
    await handle.close()
  }
}

describe('OAuth connect, one account per login (X, TikTok, Instagram)', () => {
  it('X: start → authorize → callback connects the account with PKCE, queues the backfill, shows no token', async () => {
    const { call, env, capture, tenant } = await setup(db)
    const account = uniqueAccount('1', 19)
    const started = await start(call, 'x')
    const url = new URL(started.authorization_url)
    expect(url.pathname).toBe('/oauth/x/authorize')
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: FAKE_OAUTH_APPS.x.clientId,
      redirect_uri: 'https://integra.test/oauth/callback/x',
      scope: 'tweet.read users.read offline.access',
      code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
    })
    expect(Date.parse(started.expires_at) - Date.now()).toBeGreaterThan(9 * 60_000)
    // The verifier stays server-side: the state names the row, nothing more.
    const [row] = await stateRows(tenant.tenantId)
    expect(row?.code_verifier).toMatch(/^[\w-]{43}$/)
    expect(started.authorization_url).not.toContain(row?.code_verifier)
    const claims = decodeJwt(url.searchParams.get('state') as string)
    // X takes a state of at most 500 characters.
    expect(url.searchParams.get('state')?.length).toBeLessThanOrEqual(500)
    expect(Object.keys(claims).sort()).toEqual([
      'aud',
      'exp',
      'iat',
      'jti',
      'plt',
      'role',
      'sid',
      'sub',
      'tid',
    ])
    expect(claims).toMatchObject({ tid: tenant.tenantId, plt: 'x' })

    const location = await authorize(started.authorization_url, { fake_account: account })
    const { result: response, lines } = await captureLogs(() => callback(env, location))
    expect(response.status).toBe(201)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const text = await response.text()
    const body = JSON.parse(text) as Connected
    expect(body.reconnected).toEqual([])
    expect(body.created).toMatchObject([
      {
        platform: 'x',
        external_account_id: account,
        status: 'active',
        display_name: `@conta_${account.slice(-4)}`,
      },
    ])
    const id = body.created[0]?.id as string
    expect(text).not.toMatch(/fake-x/)
    expect(JSON.stringify(lines)).not.toMatch(/fake-x|fakecode-/)
    expect(await readSecret(env, tenant.tenantId, id, 'access_token', 1)).toMatch(/^fake-x\./)
    expect(await readSecret(env, tenant.tenantId, id, 'refresh_token', 1)).toMatch(/^fake-xr\./)
    expect(await env.TOKENS.get(`vault/${tenant.tenantId}/${id}/access_token`)).not.toMatch(/fake-x/)
    const backfill = capture.messages as JobMessage[]
    expect(backfill.length).toBeGreaterThan(0)
    expect(
      backfill.every(
        (m) => m.type === 'collect.connection' && m.kind === 'backfill' && m.connectionId === id,
      ),
    ).toBe(true)
    // Used once; the verifier is gone with it.
    expect(await stateRows(tenant.tenantId)).toEqual([{ used_at: expect.any(Date), code_verifier: null }])

    const replay = await callback(env, location)
    expect(replay.status).toBe(400)
    expect(await errorCode(replay)).toBe('OAUTH_STATE_INVALID')
    expect(await countConnections(tenant.tenantId)).toBe(1)
  })

  it('TikTok: connects the account the token answer names, with its refresh token', async () => {
    const { call, env, capture, tenant } = await setup(db)
    const openId = `-000${uniqueAccount('', 16)}`
    const started = await start(call, 'tiktok')
    expect(Object.fromEntries(new URL(started.authorization_url).searchParams)).toMatchObject({
      client_key: FAKE_OAUTH_APPS.tiktok.clientId,
      code_challenge_method: 'S256',
      scope: 'user.info.basic,user.info.stats,video.list',
    })
    const response = await callback(env, await authorize(started.authorization_url, { fake_account: openId }))
    expect(response.status).toBe(201)
    const { created } = (await response.json()) as Connected
    expect(created).toMatchObject([{ platform: 'tiktok', external_account_id: openId, status: 'active' }])
    expect(await readSecret(env, tenant.tenantId, created[0]?.id as string, 'refresh_token', 1)).toMatch(
      /^fake-ttr\./,
    )
    expect(capture.messages.length).toBeGreaterThan(0)
  })

  it('Instagram Login: a 60-day token for the account, its 17-digit id kept exactly', async () => {
    const { call, env, tenant } = await setup(db)
    // Above 2^53: a JSON number would come out rounded.
    const account = uniqueAccount('17841', 17)
    const started = await start(call, 'instagram')
    const url = new URL(started.authorization_url)
    expect(url.pathname).toBe('/oauth/instagram/authorize')
    expect(url.searchParams.has('code_challenge')).toBe(false)
    const response = await callback(
      env,
      await authorize(started.authorization_url, { fake_account: account }),
    )
    expect(response.status).toBe(201)
    const { created } = (await response.json()) as Connected
    expect(created).toMatchObject([{ platform: 'instagram', external_account_id: account, status: 'active' }])
    const [row] = await db.owner<{ token_expires_at: Date }>(
      'select token_expires_at from connections where id = $1',
      [created[0]?.id],
    )
    expect((row?.token_expires_at.getTime() ?? 0) - Date.now()).toBeGreaterThan(59 * 86_400_000)
    expect(await readSecret(env, tenant.tenantId, created[0]?.id as string, 'access_token', 1)).toMatch(
      /^fake-ig\./,
    )
  })

  it('a verifier that does not match the challenge fails the exchange at the platform (X, TikTok)', async () => {
    for (const platform of ['x', 'tiktok'] as const) {
      const { call, env, tenant } = await setup(db)
      const { authorization_url } = await start(call, platform)
      // The challenge the platform records is not the one our verifier answers (code injection).
      const location = await authorize(authorization_url, { code_challenge: 'A'.repeat(43) })
      const response = await callback(env, location)
      expect(response.status).toBe(400)
      const { error } = (await response.json()) as { error: { code: string; message: string } }
      expect(error).toMatchObject({
        code: 'OAUTH_EXCHANGE_FAILED',
        message: expect.stringMatching(/code_verifier/),
      })
      expect(await countConnections(tenant.tenantId)).toBe(0)
    }
  })

  it('reconnects an account already connected, keeping the refresh token the platform did not send again', async () => {
    const { call, env, capture, tenant } = await setup(db)
    const account = uniqueAccount('1', 19)
    const first = (await (
      await connectThrough(env, call, 'x', { fake_account: account })
    ).json()) as Connected
    const id = first.created[0]?.id as string
    const refreshToken = await readSecret(env, tenant.tenantId, id, 'refresh_token', 1)
    const accessToken = await readSecret(env, tenant.tenantId, id, 'access_token', 1)
    await db.owner(
      `update connections set status = 'needs_reconnect', last_error = 'token revoked' where id = $1`,
      [id],
    )
    const sentBefore = capture.messages.length

    const again = await connectThrough(env, call, 'x', {
      fake_account: account,
      fake_omit_refresh_token: '1',
    })
    expect(again.status).toBe(200)
    const body = (await again.json()) as Connected
    expect(body.created).toEqual([])
    expect(body.reconnected).toMatchObject([{ id, status: 'active' }])
    const newAccess = await readSecret(env, tenant.tenantId, id, 'access_token', 2)
    expect(newAccess).toMatch(/^fake-x\./)
    expect(newAccess).not.toBe(accessToken)
    expect(await readSecret(env, tenant.tenantId, id, 'refresh_token', 2)).toBe(refreshToken)
    expect(capture.messages.length).toBe(sentBefore)
    expect(await countConnections(tenant.tenantId)).toBe(1)
  })
})

describe('OAuth connect, several accounts per login (Facebook pages, WhatsApp business accounts)', () => {
  it('Facebook: the login lists its pages, the picked ones are connected, tokens only ever sealed', async () => {
    const { call, env, capture, tenant } = await setup(db)
    const user = uniqueAccount('1', 15)
    const started = await start(call, 'facebook')
    expect(new URL(started.authorization_url).searchParams.get('scope')).toBe(
      'pages_show_list,pages_read_engagement,read_insights',
    )
    const location = await authorize(started.authorization_url, { fake_account: user })
    const { result: response, lines } = await captureLogs(() => callback(env, location))
    expect(response.status).toBe(200)
    const text = await response.text()
    expect(text).not.toMatch(/fake-fb/)
    expect(JSON.stringify(lines)).not.toMatch(/fake-fb/)
    const selection = JSON.parse(text) as Selection
    expect(selection).toMatchObject({
      platform: 'facebook',
      accounts: [
        { external_account_id: `${user}1`, name: `Página ${`${user}1`.slice(-4)}`, already_connected: false },
        { external_account_id: `${user}2`, name: `Página ${`${user}2`.slice(-4)}`, already_connected: false },
      ],
    })
    expect(Date.parse(selection.expires_at)).toBeGreaterThan(Date.now())
    const sealed = await env.TOKENS.get(`vault/${tenant.tenantId}/${selection.selection_id}/access_token`)
    expect(sealed).toBeTruthy()
    expect(sealed).not.toMatch(/fake-fb/)
    expect(await countConnections(tenant.tenantId)).toBe(0)

    const picked = await captureLogs(() =>
      call(`/api/v1/connections/oauth/selections/${selection.selection_id}`, {
        method: 'POST',
        json: { external_account_ids: [`${user}1`] },
      }),
    )
    expect(picked.result.status).toBe(201)
    const pickedText = await picked.result.text()
    expect(pickedText).not.toMatch(/fake-fb/)
    expect(JSON.stringify(picked.lines)).not.toMatch(/fake-fb/)
    const { created } = JSON.parse(pickedText) as Connected
    expect(created).toMatchObject([
      { platform: 'facebook', external_account_id: `${user}1`, status: 'active' },
    ])
    expect(await readSecret(env, tenant.tenantId, created[0]?.id as string, 'access_token', 1)).toMatch(
      /^fake-fbp\./,
    )
    const backfill = capture.messages as JobMessage[]
    expect(backfill).toEqual([expect.objectContaining({ kind: 'backfill', connectionId: created[0]?.id })])
    // Used: the selection and its sealed tokens are gone.
    expect(await env.TOKENS.get(`vault/${tenant.tenantId}/${selection.selection_id}/access_token`)).toBeNull()
    const reused = await call(`/api/v1/connections/oauth/selections/${selection.selection_id}`, {
      method: 'POST',
      json: { external_account_ids: [`${user}2`] },
    })
    expect(reused.status).toBe(404)

    // Logging in again: the connected page is marked, and picking both reconnects it and adds the other.
    const second = (await (
      await connectThrough(env, call, 'facebook', { fake_account: user })
    ).json()) as Selection
    expect(second.accounts.map((a) => a.already_connected)).toEqual([true, false])
    const both = await call(`/api/v1/connections/oauth/selections/${second.selection_id}`, {
      method: 'POST',
      json: { external_account_ids: [`${user}1`, `${user}2`] },
    })
    expect(both.status).toBe(201)
    const result = (await both.json()) as Connected
    expect(result.reconnected).toMatchObject([{ id: created[0]?.id, external_account_id: `${user}1` }])
    expect(result.created).toMatchObject([{ external_account_id: `${user}2` }])
    expect(await countConnections(tenant.tenantId)).toBe(2)
  })

  it('WhatsApp: the business accounts the login granted, named, connected with the long-lived token', async () => {
    const { call, env, tenant } = await setup(db)
    const user = uniqueAccount('1', 15)
    const response = await connectThrough(env, call, 'whatsapp', { fake_account: user })
    expect(response.status).toBe(200)
    const selection = (await response.json()) as Selection
    expect(selection.accounts).toEqual([
      {
        external_account_id: `${user}11`,
        name: `WhatsApp ${`${user}11`.slice(-4)}`,
        already_connected: false,
      },
      {
        external_account_id: `${user}12`,
        name: `WhatsApp ${`${user}12`.slice(-4)}`,
        already_connected: false,
      },
    ])
    const picked = await call(`/api/v1/connections/oauth/selections/${selection.selection_id}`, {
      method: 'POST',
      json: { external_account_ids: [`${user}11`, `${user}12`] },
    })
    expect(picked.status).toBe(201)
    const { created } = (await picked.json()) as Connected
    expect(created.map((c) => [c.platform, c.external_account_id])).toEqual([
      ['whatsapp', `${user}11`],
      ['whatsapp', `${user}12`],
    ])
    expect(await readSecret(env, tenant.tenantId, created[0]?.id as string, 'access_token', 1)).toMatch(
      /^fake-fbu\./,
    )
  })

  it('a selection is only its person’s: another member, another tenant, a viewer, or an account it did not grant', async () => {
    const { call, env, tenant } = await setup(db)
    const user = uniqueAccount('1', 15)
    const selection = (await (
      await connectThrough(env, call, 'facebook', { fake_account: user })
    ).json()) as Selection
    const path = `/api/v1/connections/oauth/selections/${selection.selection_id}`
    const body = { method: 'POST', json: { external_account_ids: [`${user}1`] } }
    const scoped = { ...db, env }
    const admin = as(
      scoped,
      (await login(db, (await createMember(db, tenant.tenantId, 'admin')).email)).access_token,
    )
    expect((await admin(path, body)).status).toBe(404)
    const viewer = as(
      scoped,
      (await login(db, (await createMember(db, tenant.tenantId, 'viewer')).email)).access_token,
    )
    expect((await viewer(path, body)).status).toBe(403)
    const other = await setup(db)
    expect((await other.call(path, body)).status).toBe(404)
    const foreign = await call(path, { method: 'POST', json: { external_account_ids: ['999999'] } })
    expect(foreign.status).toBe(400)
    expect(await errorCode(foreign)).toBe('VALIDATION_FAILED')
    expect(await countConnections(tenant.tenantId)).toBe(0)
    // Still usable by its person after all that.
    expect((await call(path, body)).status).toBe(201)
  })
})

describe('OAuth connect: what is refused', () => {
  it('a tampered state, one for another platform, and one signed for another tenant change nothing', async () => {
    const { call, env, tenant } = await setup(db)
    const location = new URL(await authorize((await start(call, 'x')).authorization_url))
    const state = location.searchParams.get('state') as string
    const [header, payload, signature] = state.split('.') as [string, string, string]
    const claims = decodeJwt(state)
    const forged = btoa(JSON.stringify({ ...claims, tid: 'ten_someoneelse000000000' })).replace(/=+$/, '')
    const attempts: string[] = []
    // Payload changed, signature kept.
    attempts.push(`${header}.${forged.replaceAll('+', '-').replaceAll('/', '_')}.${signature}`)
    // Signature changed.
    attempts.push(`${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`)
    // A state signed with our keys for tenant B's person, pointing at tenant A's row.
    const b = await setup(db)
    const bOwner = decodeJwt(
      (await login(db, (await createMember(db, b.tenant.tenantId, 'owner')).email)).access_token,
    )
    attempts.push(
      await signOAuthState(
        {
          stateId: claims.jti as string,
          userId: bOwner.sub as string,
          tenantId: b.tenant.tenantId,
          sessionId: bOwner.sid as string,
          role: 'owner',
          platform: 'x',
        },
        loadConfig(env).JWT_SIGNING_KEYS,
        { now: new Date() },
      ),
    )
    for (const attempt of attempts) {
      location.searchParams.set('state', attempt)
      const response = await callback(env, location.href)
      expect(response.status).toBe(400)
      expect(await errorCode(response)).toBe('OAUTH_STATE_INVALID')
    }
    // The same state at another platform's callback.
    location.searchParams.set('state', state)
    const elsewhere = await callback(
      env,
      location.href.replace('/oauth/callback/x', '/oauth/callback/tiktok'),
    )
    expect(await errorCode(elsewhere)).toBe('OAUTH_STATE_INVALID')
    expect(await stateRows(tenant.tenantId)).toEqual([{ used_at: null, code_verifier: expect.any(String) }])
    // The genuine state still works afterwards.
    expect((await callback(env, location.href)).status).toBe(201)
    expect(await countConnections(b.tenant.tenantId)).toBe(0)
  })

  it('an expired state is refused, whether its row or its signature expired', async () => {
    const { call, env, tenant } = await setup(db)
    const location = new URL(await authorize((await start(call, 'x')).authorization_url))
    await db.owner(`update oauth_states set expires_at = now() - interval '1 second' where tenant_id = $1`, [
      tenant.tenantId,
    ])
    const rowExpired = await callback(env, location.href)
    expect(await errorCode(rowExpired)).toBe('OAUTH_STATE_INVALID')

    const fresh = new URL(await authorize((await start(call, 'x')).authorization_url))
    const claims = await verifyOAuthState(
      fresh.searchParams.get('state') as string,
      'x',
      loadConfig(env).JWT_SIGNING_KEYS,
    )
    if (!claims) throw new Error('the fresh state did not verify')
    fresh.searchParams.set(
      'state',
      await signOAuthState(claims, loadConfig(env).JWT_SIGNING_KEYS, {
        now: new Date(Date.now() - 11 * 60_000),
      }),
    )
    const signatureExpired = await callback(env, fresh.href)
    expect(signatureExpired.status).toBe(400)
    expect(await errorCode(signatureExpired)).toBe('OAUTH_STATE_INVALID')
    expect(await countConnections(tenant.tenantId)).toBe(0)
  })

  it('a person who signed out meanwhile cannot complete the connection', async () => {
    const { call, env, tenant } = await setup(db)
    const location = await authorize((await start(call, 'x')).authorization_url)
    expect((await call('/api/v1/auth/logout', { method: 'POST' })).status).toBeLessThan(300)
    const response = await callback(env, location)
    expect(response.status).toBe(401)
    expect(await errorCode(response)).toBe('SESSION_ENDED')
    expect(await countConnections(tenant.tenantId)).toBe(0)
  })

  it('a declined authorization answers a clear 400 and connects nothing', async () => {
    const { call, env, tenant } = await setup(db)
    const location = await authorize((await start(call, 'facebook')).authorization_url, {
      fake_decision: 'deny',
    })
    expect(new URL(location).searchParams.get('error')).toBe('access_denied')
    const response = await callback(env, location)
    expect(response.status).toBe(400)
    expect(await errorCode(response)).toBe('OAUTH_DENIED')
    expect(await countConnections(tenant.tenantId)).toBe(0)
    expect(await db.owner('select id from oauth_selections where tenant_id = $1', [tenant.tenantId])).toEqual(
      [],
    )
  })

  it('start: viewer and analyst 403, no auth 401, app not configured 503, module off 403', async () => {
    const { tenant, env } = await setup(db)
    for (const role of ['viewer', 'analyst'] as const) {
      const member = as(
        { ...db, env },
        (await login(db, (await createMember(db, tenant.tenantId, role)).email)).access_token,
      )
      const response = await member('/api/v1/connections/oauth/x/start')
      expect(response.status).toBe(403)
      expect(await errorCode(response)).toBe('FORBIDDEN')
    }
    const anonymous = await callWorker(env, '/api/v1/connections/oauth/x/start')
    expect(anonymous.status).toBe(401)
    const unconfigured = await setup(plain)
    const response = await unconfigured.call('/api/v1/connections/oauth/tiktok/start')
    expect(response.status).toBe(503)
    expect(await errorCode(response)).toBe('OAUTH_NOT_CONFIGURED')
    const noMetrics = await setup(db, { modules: ['calendar'] })
    const off = await noMetrics.call('/api/v1/connections/oauth/x/start')
    expect(off.status).toBe(403)
    expect(await errorCode(off)).toBe('MODULE_DISABLED')
    expect(await db.owner('select id from oauth_states where tenant_id = $1', [tenant.tenantId])).toEqual([])
  })

  it('the callback without a state or a code, or for an unknown platform, is refused', async () => {
    const { env } = await setup(db)
    expect(await errorCode(await callback(env, '/oauth/callback/x?code=abc'))).toBe('OAUTH_STATE_INVALID')
    expect(await errorCode(await callback(env, '/oauth/callback/x?state=abc'))).toBe('OAUTH_STATE_INVALID')
    expect((await callback(env, '/oauth/callback/myspace?code=a&state=b')).status).toBe(400)
  })
})
