import type { ContentfulStatusCode } from 'hono/utils/http-status'

export type FieldError = { path: string; message: string }

/** The one error type of the API. Its `code` is stable and documented; `message` is for people. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode
  readonly code: string
  readonly fields?: FieldError[]
  readonly headers?: Record<string, string>

  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    extra: { fields?: FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: extra.cause })
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.fields = extra.fields
    this.headers = extra.headers
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
  error: { code: string; message: string; requestId: string; fields?: FieldError[] }
}

export function envelope(error: ApiError, requestId: string): ErrorEnvelope {
  return {
    error: {
      code: error.code,
      message: error.message,
      requestId,
      ...(error.fields ? { fields: error.fields } : {}),
    },
  }
}
