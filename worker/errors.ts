import type { ContentfulStatusCode } from 'hono/utils/http-status'

export type FieldError = { path: string; message: string }

/**
 * Every code the API answers with. Codes are stable and documented, and the portals translate
 * them (portal/i18n: `error.CODE`): a code renamed or removed here fails to compile wherever it
 * is thrown, compared or translated.
 */
export const ERROR_CODES = [
  // Requests and the platform itself
  'BAD_REQUEST',
  'MALFORMED_JSON',
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'HOST_NOT_ALLOWED',
  'RATE_LIMITED',
  'INTERNAL_ERROR',
  'BAD_ENVIRONMENT',
  'DATABASE_UNAVAILABLE',
  'NOT_READY',
  // Who is asking
  'UNAUTHENTICATED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'CSRF_REFUSED',
  'INVALID_CREDENTIALS',
  'TOO_MANY_ATTEMPTS',
  'INVALID_REFRESH_TOKEN',
  'SESSION_ENDED',
  'NOT_A_SESSION',
  'NOT_A_MEMBER',
  'INVALID_API_KEY',
  'WRONG_PASSWORD',
  // Tenants, members, plans and licenses
  'TENANT_SUSPENDED',
  'TENANT_DELETED',
  'TENANT_NOT_FOUND',
  'SLUG_TAKEN',
  'EMAIL_TAKEN',
  'LAST_OWNER',
  'USER_DEACTIVATED',
  'USERS_LIMIT_REACHED',
  'INVALID_TRANSITION',
  'PLAN_CODE_TAKEN',
  'PLAN_NOT_FOUND',
  'PLAN_RETIRED',
  'LICENSE_INACTIVE',
  'LICENSE_NOT_FOUND',
  'MODULE_DISABLED',
  'EXTERNAL_REF_TAKEN',
  'INVALID_VALIDITY',
  // Connections and collection
  'PLATFORM_UNSUPPORTED',
  'PLATFORM_UNAVAILABLE',
  'TOKEN_REJECTED',
  'CONNECTION_EXISTS',
  'CONNECTION_IN_USE',
  'CONNECTIONS_LIMIT_REACHED',
  'CONNECTION_NOT_ACTIVE',
  'CONNECTION_DISCONNECTED',
  'NEEDS_RECONNECT',
  'COLLECT_RATE_LIMITED',
  'OAUTH_NOT_CONFIGURED',
  'OAUTH_STATE_INVALID',
  'OAUTH_DENIED',
  'OAUTH_FAILED',
  'OAUTH_EXCHANGE_FAILED',
  'OAUTH_NO_ACCOUNTS',
  'SELECTION_NOT_READY',
  'SELECTION_USED',
  // Privacy
  'EXPORT_IN_PROGRESS',
  'INVALID_DOWNLOAD_LINK',
  'DOWNLOAD_LINK_EXPIRED',
  'TENANT_SLUG_MISMATCH',
  'TENANT_ERASED',
  'ERASURE_ALREADY_REQUESTED',
  'ERASURE_ALREADY_CONFIRMED',
  'ERASURE_ALREADY_CANCELED',
  'ERASURE_SCHEDULED',
  'ERASURE_STARTED',
  'ERASURE_COMPLETED',
  // Calendar
  'PROPERTY_EXISTS',
  'SOURCE_EXISTS',
  'SOURCE_PAUSED',
  'SYNC_TOO_SOON',
  'BOOKING_FROM_FEED',
  // Scheduling
  'SERVICE_EXISTS',
  'PROFESSIONAL_EXISTS',
  'SLOT_TAKEN',
  'SLOT_UNAVAILABLE',
  'HOLD_EXPIRED',
  'HOLD_LIMIT_REACHED',
  'CANCEL_CUTOFF_PASSED',
  'INVALID_MANAGE_LINK',
  'RESCHEDULE_CUTOFF_PASSED',
  // Messaging
  'IDEMPOTENCY_KEY_REUSED',
  'WINDOW_CLOSED',
  // Commerce
  'STORES_LIMIT_REACHED',
  'STORE_EXISTS',
  'STOCK_BELOW_RESERVED',
  'STORE_CLOSED',
  'STORE_PAUSED',
  'FULFILMENT_UNAVAILABLE',
  'PRODUCT_UNAVAILABLE',
  'OUT_OF_STOCK',
  'INVALID_OPTIONS',
  'MINIMUM_ORDER',
  'OUT_OF_RANGE',
  'PRICE_CHANGED',
  'PAYMENT_UNAVAILABLE',
  'ORDER_NOT_PAYABLE',
  'CEP_NOT_FOUND',
  'GEOCODING_UNAVAILABLE',
  // Attendance (the WhatsApp inbox)
  'ATTENDANCE_LIMIT_REACHED',
  'TEMPLATE_NOT_APPROVED',
  'CONTACT_NOT_REACHABLE',
  'NUMBER_EXISTS',
  // Webhooks
  'INVALID_SIGNATURE',
  'INVALID_WEBHOOK_ID',
  'STALE_TIMESTAMP',
  'VERIFICATION_FAILED',
  'WEBHOOK_NOT_CONFIGURED',
  'WEBHOOK_UNAVAILABLE',
  // Accounts: recovery, invitations, forced password change
  'PASSWORD_CHANGE_REQUIRED',
  'INVALID_ACCOUNT_TOKEN',
  'NOT_INVITED',
  // Accounts: two-factor sign-in
  'TOTP_ENROLMENT_REQUIRED',
  'TOTP_ALREADY_ENABLED',
  'TOTP_NOT_ENROLLED',
  'TOTP_REQUIRED',
  'INVALID_CODE',
  'INVALID_CHALLENGE',
  // Real-time updates
  'UPGRADE_REQUIRED',
  // Runtimes (the Deno entry, docs/deno.md)
  'REALTIME_UNAVAILABLE',
  // Attendance teams (round-robin)
  'TEAM_EXISTS',
  // Commerce campaigns and coupons
  'COUPON_INVALID',
  'CAMPAIGN_EXHAUSTED',
  'COUPON_EXISTS',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES)

/** Narrows text from outside (a `?error=` in a URL, a parsed response) to a code the API uses. */
export const isErrorCode = (value: string): value is ErrorCode => KNOWN_CODES.has(value)

/** The one error type of the API. Its `code` is stable and documented; `message` is for people. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode
  readonly code: ErrorCode
  readonly fields?: FieldError[]
  readonly headers?: Record<string, string>
  /** What the caller can do next, as data in the envelope's `details` (PRICE_CHANGED: the recomputed totals; WINDOW_CLOSED: the approved templates; SLOT_TAKEN: the next free slots). */
  readonly details?: Record<string, unknown>

  constructor(
    status: ContentfulStatusCode,
    code: ErrorCode,
    message: string,
    extra: {
      fields?: FieldError[]
      headers?: Record<string, string>
      details?: Record<string, unknown>
      cause?: unknown
    } = {},
  ) {
    super(message, { cause: extra.cause })
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.fields = extra.fields
    this.headers = extra.headers
    this.details = extra.details
  }
}

/** 404 for what the caller cannot see: another tenant's id reads exactly like an unknown one. */
export const notFound = (what: string) => new ApiError(404, 'NOT_FOUND', `No such ${what}.`)

/** A 400 raised by a service for one field whose value is well-formed but not acceptable. */
export function invalidField(
  path: string,
  message: string,
  summary = 'The request has invalid fields.',
): ApiError {
  return new ApiError(400, 'VALIDATION_FAILED', summary, { fields: [{ path, message }] })
}

/** Raised by the database helper when no connection could be opened; answered as 503. */
export class DatabaseUnavailableError extends ApiError {
  constructor(cause: unknown) {
    super(503, 'DATABASE_UNAVAILABLE', 'The database is unavailable; retry shortly.', {
      headers: { 'Retry-After': '5' },
      cause,
    })
  }
}

export type ErrorEnvelope = {
  error: {
    code: ErrorCode
    message: string
    requestId: string
    fields?: FieldError[]
    details?: Record<string, unknown>
  }
}

export function envelope(error: ApiError, requestId: string): ErrorEnvelope {
  return {
    error: {
      code: error.code,
      message: error.message,
      requestId,
      ...(error.fields ? { fields: error.fields } : {}),
      ...(error.details ? { details: error.details } : {}),
    },
  }
}
