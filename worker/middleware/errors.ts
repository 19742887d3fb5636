import type { Context, ErrorHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { DatabaseConnectError } from '../../db/client.ts'
import { ConfigError } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { ApiError, DatabaseUnavailableError, type ErrorCode, envelope } from '../errors.ts'
import { describeError, log } from '../log.ts'
import { isPortalPath, portalErrorResponse } from './portal-errors.tsx'

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
}

/** Maps anything thrown to the one API error type; unknown errors become a bare 500. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error
  if (error instanceof ConfigError) {
    return new ApiError(500, 'BAD_ENVIRONMENT', `The server is misconfigured: ${error.variables.join(', ')}.`)
  }
  if (error instanceof DatabaseConnectError) return new DatabaseUnavailableError(error)
  if (error instanceof HTTPException && error.status < 500) {
    // Hono's JSON validator raises this for a body that does not parse.
    if (error.message.startsWith('Malformed JSON')) {
      return new ApiError(400, 'MALFORMED_JSON', 'The request body is not valid JSON.')
    }
    return new ApiError(
      error.status,
      STATUS_CODES[error.status] ?? 'BAD_REQUEST',
      error.message || 'Bad request.',
    )
  }
  return new ApiError(
    500,
    'INTERNAL_ERROR',
    'Something went wrong on our side; the request id helps us find it.',
  )
}

function requestIdOf(c: Context<AppEnv>): string {
  return c.get('requestId') ?? crypto.randomUUID()
}

export const onError: ErrorHandler<AppEnv> = (error, c) => {
  const apiError = toApiError(error)
  // ApiErrors are answers the code chose, and so are the 4xx mapped from Hono's own exceptions
  // (a body that is not JSON is the client's mistake); anything else is a fault worth its stack
  // trace, which stays here, server-side: the client only gets the envelope.
  if (!(error instanceof ApiError) && apiError.status >= 500) {
    log('error', error instanceof ConfigError ? error.message : 'unhandled error', {
      request_id: requestIdOf(c),
      code: apiError.code,
      ...describeError(error),
    })
  }
  // People get a page in the portals; programs keep the envelope everywhere else.
  if (isPortalPath(c.req.path)) return portalErrorResponse(c, apiError, requestIdOf(c))
  return c.json(envelope(apiError, requestIdOf(c)), apiError.status, apiError.headers)
}

export const notFound: NotFoundHandler<AppEnv> = (c) => {
  const error = new ApiError(404, 'NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`)
  if (isPortalPath(c.req.path)) return portalErrorResponse(c, error, requestIdOf(c))
  return c.json(envelope(error, requestIdOf(c)), 404)
}

export function methodNotAllowedResponse(
  c: Context<AppEnv>,
  allowed: string[],
): Response | Promise<Response> {
  const error = new ApiError(
    405,
    'METHOD_NOT_ALLOWED',
    `${c.req.method} is not allowed here; use ${allowed.join(', ')}.`,
  )
  if (isPortalPath(c.req.path)) {
    return portalErrorResponse(
      c,
      new ApiError(405, error.code, error.message, { headers: { Allow: allowed.join(', ') } }),
      requestIdOf(c),
    )
  }
  return c.json(envelope(error, requestIdOf(c)), 405, { Allow: allowed.join(', ') })
}
