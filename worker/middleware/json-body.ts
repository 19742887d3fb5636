import { bodyLimit } from 'hono/body-limit'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'

export const API_BODY_LIMIT_BYTES = 1024 * 1024

const limit = bodyLimit({
  maxSize: API_BODY_LIMIT_BYTES,
  onError: () => {
    throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `The body exceeds ${API_BODY_LIMIT_BYTES} bytes.`)
  },
})

/**
 * API bodies are JSON. Without this, a body sent as text/plain would reach the validator as an
 * empty object and come back as a confusing list of missing fields instead of a 415.
 */
export const jsonBodies = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.raw.body !== null && c.req.header('content-length') !== '0') {
    const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
    if (!/^application\/([\w.-]+\+)?json$/.test(type)) {
      throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.')
    }
  }
  return limit(c, next)
})
