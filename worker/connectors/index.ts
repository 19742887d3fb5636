import type { Platform } from '../../db/schema/index.ts'
import type { Config } from '../config.ts'
import { facebook } from './facebook/connector.ts'
import { platformHttp } from './http.ts'
import { instagram } from './instagram/connector.ts'
import { tiktok } from './tiktok/connector.ts'
import type { Connector, PlatformHttp } from './types.ts'
import { whatsapp } from './whatsapp/connector.ts'
import { x } from './x/connector.ts'

/** One connector per platform; each folder holds its connector and its versioned metric catalog. */
export const connectors: Partial<Record<Platform, Connector>> = {
  instagram,
  x,
  tiktok,
  facebook,
  whatsapp,
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

/** The platform app's OAuth client credentials (secrets `<PLATFORM>_CLIENT_ID` / `_CLIENT_SECRET`). */
export function appCredentials(
  config: Config,
  platform: Platform,
): { clientId: string; clientSecret: string } {
  const app = config.PLATFORM_APPS[platform]
  return { clientId: app?.clientId ?? '', clientSecret: app?.clientSecret ?? '' }
}
