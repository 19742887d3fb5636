import { platformHttp } from '../../connectors/http.ts'
import { ConnectorError } from '../../connectors/types.ts'

/** Feeds of a few years of stays are tens of KiB; anything near this is not a calendar. */
export const MAX_FEED_BYTES = 2 * 1024 * 1024
export const FEED_TIMEOUT_MS = 10_000

export type FeedValidators = { etag: string | null; lastModified: string | null }

export type FeedResponse =
  | { kind: 'not_modified'; httpStatus: 304 }
  | { kind: 'ok'; httpStatus: number; text: string; bytes: number; validators: FeedValidators }

/** A feed that could not be read: the message is for the tenant (no URL, which is a secret). */
export class FeedError extends Error {
  readonly httpStatus: number | null
  constructor(message: string, httpStatus: number | null = null) {
    super(message)
    this.name = 'FeedError'
    this.httpStatus = httpStatus
  }
}

/**
 * Reads the body counting bytes as they arrive, so a feed that lies about (or omits) its length
 * is cut at `limit` without being held whole in memory.
 */
async function readLimited(response: Response, limit: number): Promise<{ text: string; bytes: number }> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (declared > limit) {
    await response.body?.cancel()
    throw new FeedError(`the feed is larger than ${limit / 1024 / 1024} MiB`, response.status)
  }
  const reader = response.body?.getReader()
  if (!reader) return { text: '', bytes: 0 }
  const chunks: Uint8Array[] = []
  let bytes = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    bytes += value.byteLength
    if (bytes > limit) {
      await reader.cancel()
      throw new FeedError(`the feed is larger than ${limit / 1024 / 1024} MiB`, response.status)
    }
    chunks.push(value)
  }
  const body = new Uint8Array(bytes)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return { text: new TextDecoder().decode(body), bytes }
}

/**
 * One conditional GET of a feed through the connectors' HTTP seam (timeout, call budget): the
 * validators of the last successful read go out as If-None-Match / If-Modified-Since, and a 304
 * means nothing changed. Errors carry a message fit for the tenant and never the URL.
 */
export async function fetchFeed(
  url: string,
  validators: FeedValidators,
  options: { timeoutMs?: number; maxBytes?: number } = {},
): Promise<FeedResponse> {
  const http = platformHttp({
    baseUrl: new URL(url).origin,
    timeoutMs: options.timeoutMs ?? FEED_TIMEOUT_MS,
    budget: 1,
  })
  const headers: Record<string, string> = { accept: 'text/calendar, text/plain;q=0.5, */*;q=0.1' }
  if (validators.etag) headers['if-none-match'] = validators.etag
  if (validators.lastModified) headers['if-modified-since'] = validators.lastModified
  let response: Response
  try {
    response = await http.fetch(url, { headers, redirect: 'follow' })
  } catch (error) {
    if (!(error instanceof ConnectorError)) throw error
    throw new FeedError(
      /within/.test(error.message)
        ? `the calendar host did not answer within ${options.timeoutMs ?? FEED_TIMEOUT_MS} ms`
        : 'the calendar host could not be reached',
    )
  }
  if (response.status === 304) {
    await response.body?.cancel()
    return { kind: 'not_modified', httpStatus: 304 }
  }
  if (!response.ok) {
    await response.body?.cancel()
    throw new FeedError(`the calendar host answered HTTP ${response.status}`, response.status)
  }
  const { text, bytes } = await readLimited(response, options.maxBytes ?? MAX_FEED_BYTES)
  return {
    kind: 'ok',
    httpStatus: response.status,
    text,
    bytes,
    validators: {
      etag: response.headers.get('etag'),
      lastModified: response.headers.get('last-modified'),
    },
  }
}
