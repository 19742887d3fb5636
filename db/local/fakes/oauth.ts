import { type Context, Hono } from 'hono'
import { base64url } from 'jose'
import { state, tokenValid } from './state.ts'

/**
 * The platforms' OAuth 2.0 authorization-code endpoints in their documented shapes: authorization
 * pages that answer at once (no person clicks), code exchanges that check the app's credentials,
 * the redirect URI and the PKCE S256 verifier, and the listings a Facebook Login grants. Mounted
 * before the per-platform fakes, so the token paths they share (X's and TikTok's refresh grants)
 * fall through to them for any other grant type.
 *
 * The person on the authorization page is played by two query parameters a test may add to the
 * authorization URL: `fake_account=<id>` (who logs in; a fresh account otherwise) and
 * `fake_decision=deny` (the person declines). `fake_omit_refresh_token=1` makes the code's token
 * answer come without a refresh token, as a platform may on a re-authorization.
 */

/** The only app each fake platform knows; tests and dev configure these as the client secrets. */
export const FAKE_OAUTH_APPS = {
  instagram: { clientId: 'fake-instagram-app', clientSecret: 'fake-instagram-app-secret' },
  facebook: { clientId: 'fake-facebook-app', clientSecret: 'fake-facebook-app-secret' },
  x: { clientId: 'fake-x-app', clientSecret: 'fake-x-app-secret' },
  tiktok: { clientId: 'fake-tiktok-app', clientSecret: 'fake-tiktok-app-secret' },
  whatsapp: { clientId: 'fake-whatsapp-app', clientSecret: 'fake-whatsapp-app-secret' },
} as const

type FakePlatform = keyof typeof FAKE_OAUTH_APPS
const isPlatform = (name: string): name is FakePlatform => name in FAKE_OAUTH_APPS
const PKCE_REQUIRED = new Set<FakePlatform>(['x', 'tiktok'])
const CODE_TTL_MS = 10 * 60_000

type PendingCode = {
  platform: FakePlatform
  redirectUri: string
  challenge: string | null
  account: string
  omitRefreshToken: boolean
  expiresAt: number
}

/** Issued codes, single use. Not cleared by `/__control/reset`: other test files reset at will. */
const codes = new Map<string, PendingCode>()

const nonce = () => crypto.randomUUID().replaceAll('-', '')
const digits = (count: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(count)), (byte) => byte % 10).join('')
/** Fake tokens name their account: `fake-<kind>.<account>.<nonce>` (see x.ts, tiktok.ts). */
const accountOf = (token: string) => token.split('.')[1] ?? ''

/** A fresh account per authorization unless the test says who logs in. */
function defaultAccount(platform: FakePlatform): string {
  if (platform === 'tiktok') return `-000${nonce().slice(0, 16)}`
  if (platform === 'instagram') return `17841${digits(12)}`
  return `1${digits(15)}`
}

const s256 = async (verifier: string) =>
  base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))))

/** Redeems a code once; a string says why it cannot be. */
async function redeem(
  platform: FakePlatform,
  input: { code: unknown; redirectUri: unknown; verifier?: unknown },
): Promise<PendingCode | string> {
  const pending = typeof input.code === 'string' ? codes.get(input.code) : undefined
  if (!pending || pending.platform !== platform) return 'unknown or used authorization code'
  codes.delete(input.code as string)
  if (pending.expiresAt < Date.now()) return 'authorization code expired'
  if (pending.redirectUri !== input.redirectUri) return 'redirect_uri differs from the authorization request'
  if (pending.challenge) {
    const verifier = typeof input.verifier === 'string' ? input.verifier : ''
    if (!verifier || (await s256(verifier)) !== pending.challenge) return 'code_verifier does not match'
  }
  return pending
}

const str = (value: unknown) => (typeof value === 'string' ? value : '')
const graphError = (code: number, message: string) => ({
  error: { message, type: 'OAuthException', code, fbtrace_id: 'FakeOAuthTrace' },
})
const record = (platform: string, c: Context) =>
  state.requests.push({ platform: `oauth:${platform}`, path: c.req.path, at: Date.now() })

export const fakeOAuth = new Hono()

fakeOAuth.get('/oauth/:platform/authorize', (c) => {
  const platform = c.req.param('platform')
  if (!isPlatform(platform)) return c.text('Unknown platform', 404)
  record(platform, c)
  const q = c.req.query()
  const clientId = platform === 'tiktok' ? q.client_key : q.client_id
  // Real platforms show an error page (no redirect) for a bad client or redirect URI.
  if (clientId !== FAKE_OAUTH_APPS[platform].clientId) return c.text('Invalid client', 400)
  if (q.response_type !== 'code' || !q.redirect_uri) return c.text('Invalid request', 400)
  const challenge = q.code_challenge ?? null
  if (PKCE_REQUIRED.has(platform) && (!challenge || q.code_challenge_method !== 'S256'))
    return c.text('PKCE with S256 is required', 400)
  const back = new URL(q.redirect_uri)
  if (q.fake_decision === 'deny') {
    back.searchParams.set('error', 'access_denied')
    back.searchParams.set('error_description', 'The user denied your request.')
  } else {
    const code = `fakecode-${nonce()}`
    codes.set(code, {
      platform,
      redirectUri: q.redirect_uri,
      challenge,
      account: q.fake_account ?? defaultAccount(platform),
      omitRefreshToken: q.fake_omit_refresh_token === '1',
      expiresAt: Date.now() + CODE_TTL_MS,
    })
    back.searchParams.set('code', code)
  }
  if (q.state) back.searchParams.set('state', q.state)
  return c.redirect(back.href, 302)
})

// X: POST api.x.com/2/oauth2/token, a confidential client with Basic authentication.
fakeOAuth.post('/x/2/oauth2/token', async (c, next) => {
  const form = await c.req.parseBody()
  if (form.grant_type !== 'authorization_code') return next()
  record('x', c)
  const app = FAKE_OAUTH_APPS.x
  const basic = c.req.header('authorization')?.replace(/^Basic /i, '') ?? ''
  if (basic !== btoa(`${app.clientId}:${app.clientSecret}`) || str(form.client_id) !== app.clientId)
    return c.json(
      { error: 'unauthorized_client', error_description: 'Missing valid authorization header' },
      401,
    )
  const pending = await redeem('x', {
    code: form.code,
    redirectUri: form.redirect_uri,
    verifier: form.code_verifier,
  })
  if (typeof pending === 'string')
    return c.json(
      { error: 'invalid_request', error_description: `Value passed for the token was invalid: ${pending}.` },
      400,
    )
  const id = nonce()
  return c.json({
    token_type: 'bearer',
    expires_in: 7200,
    access_token: `fake-x.${pending.account}.${id}`,
    scope: 'tweet.read users.read offline.access',
    ...(pending.omitRefreshToken ? {} : { refresh_token: `fake-xr.${pending.account}.${id}` }),
  })
})

// TikTok: POST open.tiktokapis.com/v2/oauth/token/ with client_key and client_secret in the form.
fakeOAuth.post('/tiktok/v2/oauth/token/', async (c, next) => {
  const form = await c.req.parseBody()
  if (form.grant_type !== 'authorization_code') return next()
  record('tiktok', c)
  const app = FAKE_OAUTH_APPS.tiktok
  const error = (status: 400 | 401, code: string, description: string) =>
    c.json({ error: code, error_description: description, log_id: `fake-${nonce().slice(0, 12)}` }, status)
  if (form.client_key !== app.clientId || form.client_secret !== app.clientSecret)
    return error(401, 'invalid_client', 'Client key or secret is incorrect.')
  const pending = await redeem('tiktok', {
    code: form.code,
    redirectUri: form.redirect_uri,
    verifier: form.code_verifier,
  })
  if (typeof pending === 'string')
    return error(400, 'invalid_grant', `Authorization code is invalid: ${pending}.`)
  const id = nonce()
  return c.json({
    access_token: `fake-tt.${pending.account}.${id}`,
    expires_in: 86_400,
    open_id: pending.account,
    refresh_expires_in: 31_536_000,
    ...(pending.omitRefreshToken ? {} : { refresh_token: `fake-ttr.${pending.account}.${id}` }),
    scope: 'user.info.basic,user.info.stats,video.list',
    token_type: 'Bearer',
  })
})

// Instagram Login: POST api.instagram.com/oauth/access_token gives a 1-hour token...
fakeOAuth.post('/oauth/instagram/access_token', async (c) => {
  record('instagram', c)
  const form = await c.req.parseBody()
  const app = FAKE_OAUTH_APPS.instagram
  const error = (message: string) =>
    c.json({ error_type: 'OAuthException', code: 400, error_message: message }, 400)
  if (form.client_id !== app.clientId || form.client_secret !== app.clientSecret)
    return error('Invalid platform app')
  if (form.grant_type !== 'authorization_code') return error('Unsupported grant_type')
  const pending = await redeem('instagram', { code: form.code, redirectUri: form.redirect_uri })
  if (typeof pending === 'string') return error(`Invalid authorization code: ${pending}`)
  // Written by hand: the account id is a bare number above 2^53, as Instagram has sent it.
  return c.body(
    `{"data":[{"access_token":"fake-igs.${pending.account}.${nonce()}","user_id":${pending.account},"permissions":"instagram_business_basic,instagram_business_manage_insights"}]}`,
    200,
    { 'content-type': 'application/json' },
  )
})

// ...traded for a 60-day one at graph.instagram.com/access_token.
fakeOAuth.get('/instagram/access_token', (c) => {
  record('instagram', c)
  const token = c.req.query('access_token') ?? ''
  if (c.req.query('client_secret') !== FAKE_OAUTH_APPS.instagram.clientSecret)
    return c.json(graphError(101, 'Error validating client secret.'), 400)
  if (c.req.query('grant_type') !== 'ig_exchange_token' || !token.startsWith('fake-igs.'))
    return c.json(graphError(190, 'Invalid OAuth access token.'), 400)
  return c.json({
    access_token: `fake-ig.${accountOf(token)}.${nonce()}`,
    token_type: 'bearer',
    expires_in: 5_183_944,
  })
})

// Facebook Login (Facebook pages and WhatsApp business accounts): graph.facebook.com.
for (const platform of ['facebook', 'whatsapp'] as const) {
  const app = FAKE_OAUTH_APPS[platform]

  fakeOAuth.get(`/${platform}/:version/oauth/access_token`, async (c) => {
    record(platform, c)
    const q = c.req.query()
    if (q.client_id !== app.clientId)
      return c.json(graphError(101, 'Error validating application. Invalid application ID.'), 400)
    if (q.client_secret !== app.clientSecret)
      return c.json(graphError(1, 'Error validating client secret.'), 400)
    if (q.grant_type === 'fb_exchange_token') {
      const short = q.fb_exchange_token ?? ''
      if (!short.startsWith('fake-fbs.')) return c.json(graphError(190, 'Invalid OAuth access token.'), 400)
      return c.json({
        access_token: `fake-fbu.${accountOf(short)}.${nonce()}`,
        token_type: 'bearer',
        expires_in: 5_183_944,
      })
    }
    const pending = await redeem(platform, { code: q.code, redirectUri: q.redirect_uri })
    if (typeof pending === 'string')
      return c.json(graphError(100, `Invalid verification code: ${pending}.`), 400)
    return c.json({
      access_token: `fake-fbs.${pending.account}.${nonce()}`,
      token_type: 'bearer',
      expires_in: 5_183,
    })
  })
}

const userToken = (c: Context) => {
  const token = c.req.query('access_token') ?? ''
  return token.startsWith('fake-fbu.') && tokenValid(token) ? token : null
}

/** The two pages every fake Facebook user manages; the first has an Instagram business account. */
fakeOAuth.get('/facebook/:version/me/accounts', (c) => {
  record('facebook', c)
  const token = userToken(c)
  if (!token)
    return c.json(graphError(190, 'Error validating access token: The session has been invalidated.'), 400)
  const user = accountOf(token)
  const fields = (c.req.query('fields') ?? 'access_token,category,name,id,tasks').split(',')
  const pages = [1, 2].map((n) => {
    const id = `${user}${n}`
    const page: Record<string, unknown> = {
      id,
      name: `Página ${id.slice(-4)}`,
      access_token: `fake-fbp.${id}.${nonce()}`,
      category: 'Loja',
      tasks: ['ANALYZE', 'ADVERTISE', 'MODERATE', 'CREATE_CONTENT', 'MANAGE'],
      ...(n === 1 ? { instagram_business_account: { id: `1784${user.slice(-11)}` } } : {}),
    }
    return Object.fromEntries(Object.entries(page).filter(([key]) => key === 'id' || fields.includes(key)))
  })
  return c.json({
    data: pages,
    paging: { cursors: { before: btoa(pages[0]?.id as string), after: btoa(pages[1]?.id as string) } },
  })
})

/** `debug_token` read with the app token: the WhatsApp business accounts the login granted. */
fakeOAuth.get('/whatsapp/:version/debug_token', (c) => {
  record('whatsapp', c)
  const app = FAKE_OAUTH_APPS.whatsapp
  if (c.req.query('access_token') !== `${app.clientId}|${app.clientSecret}`)
    return c.json(graphError(190, 'Invalid OAuth access token - Cannot parse access token'), 400)
  const input = c.req.query('input_token') ?? ''
  const user = accountOf(input)
  const now = Math.floor(Date.now() / 1000)
  return c.json({
    data: {
      app_id: app.clientId,
      type: 'USER',
      application: 'Integra (fake)',
      data_access_expires_at: now + 90 * 86_400,
      expires_at: now + 60 * 86_400,
      is_valid: input.startsWith('fake-fbu.') && tokenValid(input),
      scopes: ['whatsapp_business_management', 'public_profile'],
      granular_scopes: [{ scope: 'whatsapp_business_management', target_ids: [`${user}11`, `${user}12`] }],
      user_id: user,
    },
  })
})

/** Graph's multi-id read, `GET /?ids=a,b&fields=id,name`: names as the WhatsApp fake gives them. */
fakeOAuth.get('/whatsapp/:version/', (c) => {
  record('whatsapp', c)
  if (!userToken(c)) return c.json(graphError(190, 'Error validating access token.'), 400)
  const ids = (c.req.query('ids') ?? '').split(',').filter(Boolean)
  if (ids.length === 0) return c.json(graphError(100, '(#100) Missing ids'), 400)
  return c.json(Object.fromEntries(ids.map((id) => [id, { id, name: `WhatsApp ${id.slice(-4)}` }])))
})
