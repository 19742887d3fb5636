import type { Hono } from 'hono'
import type { Permit } from './auth/permissions.ts'
import type { JobMessage } from './jobs/messages.ts'
import type { Caller } from './services/caller.ts'

/** Generated bindings (`npm run cf-typegen`) with vars widened to string, plus secrets. */
type GeneratedBindings = {
  [K in keyof Cloudflare.Env]: Cloudflare.Env[K] extends string ? string : Cloudflare.Env[K]
}

export type Bindings = Omit<GeneratedBindings, 'JOBS' | 'WEBHOOKS'> & {
  JOBS: Queue<JobMessage>
  /** Meta's webhook deliveries, on their own queue (wrangler.toml: consumed with no batch wait). */
  WEBHOOKS: Queue<JobMessage>
  /** Secret: the application role's connection string. */
  DATABASE_URL?: string
  NEON_WS_PROXY?: string
  DB_CONNECT_TIMEOUT_MS?: string
  PLATFORM_TIMEOUT_MS?: string
  /** Secret: access-token signing keys (see config.ts). */
  JWT_SIGNING_KEYS?: string
  /** Secret: vault master keys (see config.ts). */
  VAULT_MASTER_KEYS?: string
  INSTAGRAM_API_URL?: string
  FACEBOOK_API_URL?: string
  X_API_URL?: string
  TIKTOK_API_URL?: string
  WHATSAPP_API_URL?: string
  INSTAGRAM_AUTH_URL?: string
  FACEBOOK_AUTH_URL?: string
  X_AUTH_URL?: string
  TIKTOK_AUTH_URL?: string
  WHATSAPP_AUTH_URL?: string
  INSTAGRAM_TOKEN_URL?: string
  OAUTH_REDIRECT_BASE?: string
  PORTAL_BASE_URL?: string
  OPERATOR_TOTP?: string
  TELEGRAM_API_URL?: string
  /** Secret: billing webhook secrets. */
  BILLING_WEBHOOK_SECRETS?: string
  /** Commerce: the payment provider (see config.ts); the two secrets as `wrangler secret put`. */
  PAYMENTS_API_URL?: string
  CEP_API_URL?: string
  GEOCODER_API_URL?: string
  PAYMENTS_ACCESS_TOKEN?: string
  PAYMENTS_WEBHOOK_SECRETS?: string
  ORDER_TRACKING_SECRETS?: string
}

export type AppEnv = {
  Bindings: Bindings
  Variables: {
    requestId: string
    /** The request scope: runtime handles, request facts and the credential, for services. */
    caller: Caller
    /** Set once the principal is known; logged with the request. */
    tenantId?: string
    /** What the route needs of its caller (`permit()`), confirmed before a validation error is answered. */
    permit?: Permit
  }
}

/** The app every route file registers on. */
export type App = Hono<AppEnv>
