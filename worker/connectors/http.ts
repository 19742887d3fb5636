import type { Platform } from '../../db/schema/index.ts'
import type { Config } from '../config.ts'
import { ConnectorError, type PlatformHttp } from './types.ts'

export const DEFAULT_TIMEOUT_MS = 10_000

/**
 * The only way connectors reach a platform: a base URL (real host in production, the fake on
 * loopback in dev and tests), a timeout on every call, a budget on calls per invocation (Workers
 * cap subrequests), and a count of calls for the run record. A timeout or network failure is a
 * transient ConnectorError.
 */
export function platformHttp(options: {
  baseUrl: string
  timeoutMs?: number
  budget?: number
}): PlatformHttp {
  let calls = 0
  const budget = options.budget ?? 40
  return {
    baseUrl: options.baseUrl,
    get calls() {
      return calls
    },
    async fetch(path, init) {
      if (calls >= budget) {
        throw new ConnectorError('transient', `subrequest budget of ${budget} calls exhausted`, {
          retryAfterSeconds: 60,
        })
      }
      calls++
      try {
        return await fetch(new URL(path, `${options.baseUrl.replace(/\/$/, '')}/`), {
          ...init,
          signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
        })
      } catch (error) {
        const name = (error as Error).name
        throw new ConnectorError(
          'transient',
          name === 'TimeoutError'
            ? `platform did not answer within ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`
            : 'platform unreachable',
        )
      }
    },
  }
}

const BASE_URL_KEY = {
  instagram: 'INSTAGRAM_API_URL',
  facebook: 'FACEBOOK_API_URL',
  x: 'X_API_URL',
  tiktok: 'TIKTOK_API_URL',
  whatsapp: 'WHATSAPP_API_URL',
} as const satisfies Record<Platform, keyof Config>

/** An HTTP client for one platform, with its configured base URL (real host or local fake) and timeout. */
export function httpFor(
  config: Config,
  platform: Platform,
  options: { budget?: number; timeoutMs?: number } = {},
): PlatformHttp {
  return platformHttp({
    baseUrl: config[BASE_URL_KEY[platform]],
    timeoutMs: config.PLATFORM_TIMEOUT_MS,
    ...options,
  })
}

/** UTC dates from `from` to `to` inclusive, as `YYYY-MM-DD`. */
export function eachDay(from: string, to: string): string[] {
  const days: string[] = []
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10))
  }
  return days
}

export const unixSeconds = (day: string) => Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000)
