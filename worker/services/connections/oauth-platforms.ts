// The adapters moved next to their connectors; this re-export goes once its importers follow.
export { oauthPlatforms } from '../../connectors/index.ts'
export type { ExchangeInput, GrantedAccount, OAuthApp, OAuthPlatform } from '../../connectors/oauth.ts'
