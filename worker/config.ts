import { z } from 'zod'
import { parseSigningKeys } from './auth/jwt.ts'
import { parseMasterKeys } from './vault/master-keys.ts'

/** Comma-separated list in one variable, e.g. `CORS_ORIGINS="https://a.example,https://b.example"`. */
const list = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  )

const postgresUrl = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\/[^\s]+$/.test(value), 'must be a postgres:// connection string')

/**
 * Every variable and secret the Worker reads. Parsed once per isolate (per env object) by
 * `loadConfig`; a missing or invalid one fails every request with BAD_ENVIRONMENT.
 */
export const configSchema = z.object({
  APP_ENV: z.enum(['development', 'test', 'production']).default('production'),
  /** Connection string of the application role (no ownership, no BYPASSRLS). */
  DATABASE_URL: postgresUrl,
  /**
   * Local only: `host:port/path` of a Neon-protocol WebSocket bridge (see db/local/bridge.ts).
   * Unset in production so the driver keeps Neon's defaults.
   */
  NEON_WS_PROXY: z
    .string()
    .regex(/^[\w.-]+:\d+(\/[\w./-]*)?$/, 'must look like 127.0.0.1:54321/v1')
    .optional(),
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(5_000),
  CORS_ORIGINS: list.pipe(
    z.array(
      z
        .string()
        .refine((origin) => origin !== '*', 'a wildcard cannot be combined with credentials')
        .pipe(z.url({ protocol: /^https?$/ })),
    ),
  ),
  /** Secret: `kid:base64url-secret,…`, newest first; the first signs access tokens, all verify. */
  JWT_SIGNING_KEYS: z.string().transform((value, ctx) => {
    try {
      return parseSigningKeys(value)
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message })
      return z.NEVER
    }
  }),
  /** Secret: `kid:base64url(32 bytes),…`, newest first; wraps each tenant's data key. */
  VAULT_MASTER_KEYS: z.string().transform((value, ctx) => {
    try {
      return parseMasterKeys(value)
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message })
      return z.NEVER
    }
  }),
  /** Secret: comma-separated Standard Webhooks secrets (`whsec_…`) of the billing provider. */
  BILLING_WEBHOOK_SECRETS: z.string().default(''),
  /** Per-platform API base URLs: the real hosts by default, the local fakes in dev and tests. */
  INSTAGRAM_API_URL: z.url().default('https://graph.instagram.com'),
  FACEBOOK_API_URL: z.url().default('https://graph.facebook.com'),
  X_API_URL: z.url().default('https://api.x.com'),
  TIKTOK_API_URL: z.url().default('https://open.tiktokapis.com'),
  WHATSAPP_API_URL: z.url().default('https://graph.facebook.com'),
  /** Per-platform OAuth authorization pages (hosts differ from the API hosts); fakes in dev and tests. */
  INSTAGRAM_AUTH_URL: z.url().default('https://www.instagram.com/oauth/authorize'),
  FACEBOOK_AUTH_URL: z.url().default('https://www.facebook.com/v23.0/dialog/oauth'),
  X_AUTH_URL: z.url().default('https://x.com/i/oauth2/authorize'),
  TIKTOK_AUTH_URL: z.url().default('https://www.tiktok.com/v2/auth/authorize/'),
  WHATSAPP_AUTH_URL: z.url().default('https://www.facebook.com/v23.0/dialog/oauth'),
  /** Instagram Login exchanges the authorization code on its own host, not on graph.instagram.com. */
  INSTAGRAM_TOKEN_URL: z.url().default('https://api.instagram.com/oauth/access_token'),
  /** How long a platform API call may take before it counts as a transient failure (10 s). */
  PLATFORM_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(10_000),
  /** Telegram Bot API for calendar conflict alerts; the local fake in dev and tests. */
  TELEGRAM_API_URL: z.url().default('https://api.telegram.org'),
  /** Resend's API for outbound e-mail (docs/messaging.md); the local fake in dev and tests. */
  RESEND_API_URL: z.url().default('https://api.resend.com'),
  /** Secret: the platform's Resend API key (`re_…`); unset, e-mails fail NOT_CONFIGURED. */
  RESEND_API_KEY: z.string().min(1).optional(),
  /** The From of outbound e-mail, on a domain verified with Resend. */
  MAIL_FROM: z.string().min(3).max(320).default('Integra <no-reply@integra.app>'),
  /** Origin the OAuth callbacks are registered under with the platforms; unset: the request's own origin. */
  OAUTH_REDIRECT_BASE: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * Origin of the portal that links in account e-mails (password reset, invitations) point to;
   * unset: the request's own origin (safe because TRUSTED_HOSTS refuses other Host headers).
   */
  PORTAL_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * Days between a confirmed erasure (tenant or connection) and the deletion that cannot be undone;
   * the subject is suspended meanwhile and an operator can cancel. Shorter only when the owner
   * asks for it and confirms with their password (docs/privacy.md, "Erasure and the grace period").
   */
  /**
   * Two-factor sign-in for operators (docs/security.md, "Two-factor sign-in"): `required` (enrolment
   * forced at the next sign-in) or `optional`. Unset: required in production, optional for the
   * local stack and the tests, whose fixture operators sign in with a password.
   */
  OPERATOR_TOTP: z.enum(['required', 'optional']).optional(),
  ERASURE_GRACE_DAYS: z.coerce.number().int().min(1).max(90).default(7),
  // Commerce (docs/commerce.md)
  /** The payment provider's API (Mercado Pago's shape); the local fake in dev and tests. */
  PAYMENTS_API_URL: z.url().default('https://api.mercadopago.com'),
  /** Secret: the payment provider's access token; unset, checkout answers 503 PAYMENT_UNAVAILABLE. */
  PAYMENTS_ACCESS_TOKEN: z.string().min(1).optional(),
  /** Secret: Mercado Pago's webhook secret signatures (comma-separated, newest first; `x-signature`). */
  PAYMENTS_WEBHOOK_SECRETS: z.string().default(''),
  /** ViaCEP (CEP → address) and Nominatim (address → point): the geocoding port's providers. */
  CEP_API_URL: z.url().default('https://viacep.com.br'),
  GEOCODER_API_URL: z.url().default('https://nominatim.openstreetmap.org'),
  /** Secret: keys (comma-separated, newest first) signing order tracking links; unset, tracking is off. */
  ORDER_TRACKING_SECRETS: z.string().default(''),
  TRUSTED_HOSTS: list.pipe(z.array(z.string().regex(/^[a-z0-9.-]+(:\d+)?$/i, 'must be a host name'))),
})

const PLATFORM_NAMES = ['instagram', 'facebook', 'x', 'tiktok', 'whatsapp'] as const

/**
 * The platform apps' OAuth credentials from `<PLATFORM>_CLIENT_ID` / `<PLATFORM>_CLIENT_SECRET`
 * secrets, gathered into one map; a platform without both is simply absent.
 */
function platformApps(env: Record<string, unknown>) {
  const apps: Partial<Record<(typeof PLATFORM_NAMES)[number], { clientId: string; clientSecret: string }>> =
    {}
  for (const platform of PLATFORM_NAMES) {
    const clientId = env[`${platform.toUpperCase()}_CLIENT_ID`]
    const clientSecret = env[`${platform.toUpperCase()}_CLIENT_SECRET`]
    if (typeof clientId === 'string' && clientId && typeof clientSecret === 'string' && clientSecret) {
      apps[platform] = { clientId, clientSecret }
    }
  }
  return apps
}

export type Config = z.infer<typeof configSchema> & { PLATFORM_APPS: ReturnType<typeof platformApps> }

export class ConfigError extends Error {
  readonly variables: string[]
  constructor(variables: string[]) {
    super(`Invalid or missing environment variables: ${variables.join(', ')}`)
    this.name = 'ConfigError'
    this.variables = variables
  }
}

const cache = new WeakMap<object, Config | ConfigError>()

/**
 * Parses the configuration once per env object (in production: once per isolate). The error
 * names the variables but never their values, which may be secrets.
 */
export function loadConfig(env: object): Config {
  let parsed = cache.get(env)
  if (!parsed) {
    const result = configSchema.safeParse(env)
    parsed = result.success
      ? { ...result.data, PLATFORM_APPS: platformApps(env as Record<string, unknown>) }
      : new ConfigError([...new Set(result.error.issues.map((issue) => String(issue.path[0] ?? '?')))].sort())
    cache.set(env, parsed)
  }
  if (parsed instanceof ConfigError) throw parsed
  return parsed
}
