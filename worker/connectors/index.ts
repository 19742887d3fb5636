import type { Platform } from '../../db/schema/index.ts'
import type { Config } from '../config.ts'
import { facebook } from './facebook/connector.ts'
import { facebookOAuth } from './facebook/oauth.ts'
import { instagram } from './instagram/connector.ts'
import { instagramOAuth } from './instagram/oauth.ts'
import type { OAuthPlatform } from './oauth.ts'
import { tiktok } from './tiktok/connector.ts'
import { tiktokOAuth } from './tiktok/oauth.ts'
import type { Connector } from './types.ts'
import { whatsapp } from './whatsapp/connector.ts'
import { whatsappOAuth } from './whatsapp/oauth.ts'
import { x } from './x/connector.ts'
import { xOAuth } from './x/oauth.ts'

export { httpFor } from './http.ts'

/** One connector per platform; each folder holds its connector, its versioned metric catalog and its OAuth adapter. */
export const connectors: Partial<Record<Platform, Connector>> = {
  instagram,
  x,
  tiktok,
  facebook,
  whatsapp,
}

/** One OAuth adapter per platform, next to its connector (`<platform>/oauth.ts`). */
export const oauthPlatforms: Record<Platform, OAuthPlatform> = {
  instagram: instagramOAuth,
  facebook: facebookOAuth,
  x: xOAuth,
  tiktok: tiktokOAuth,
  whatsapp: whatsappOAuth,
}

/** The platform app's OAuth client credentials (secrets `<PLATFORM>_CLIENT_ID` / `_CLIENT_SECRET`). */
export function appCredentials(
  config: Config,
  platform: Platform,
): { clientId: string; clientSecret: string } {
  const app = config.PLATFORM_APPS[platform]
  return { clientId: app?.clientId ?? '', clientSecret: app?.clientSecret ?? '' }
}
