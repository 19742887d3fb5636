import { httpFor } from '../http.ts'
import { graphGet } from '../meta.ts'
import { EXCHANGE_BUDGET, metaAuthorizeParams, metaUserToken } from '../meta-oauth.ts'
import type { GrantedAccount, OAuthPlatform } from '../oauth.ts'

/** Pages of `/me/accounts` followed at most (100 pages each). */
const MAX_ACCOUNT_PAGES = 5

/** Facebook Login for Pages: one login grants every page the person manages, and they pick. */
export const facebookOAuth: OAuthPlatform = {
  grants: 'many',
  pkce: false,
  authUrl: (config) => config.FACEBOOK_AUTH_URL,
  authorizeParams: metaAuthorizeParams('pages_show_list,pages_read_engagement,read_insights'),
  /** The pages the person manages, each with its own page token (what the connector uses). */
  async exchange(config, app, input) {
    const http = httpFor(config, 'facebook', { budget: EXCHANGE_BUDGET })
    const user = await metaUserToken(http, app, input)
    const pages: GrantedAccount[] = []
    let after: string | undefined
    for (let page = 0; page < MAX_ACCOUNT_PAGES; page++) {
      const body = await graphGet<{
        data?: { id: string; name?: string; access_token?: string }[]
        paging?: { cursors?: { after?: string }; next?: string }
      }>(
        http,
        'me/accounts',
        { fields: 'id,name,access_token', limit: '100', ...(after ? { after } : {}) },
        user.accessToken,
      )
      for (const { id, name, access_token } of body.data ?? []) {
        // A page listed without a token is one the person cannot act for: nothing to collect with.
        if (access_token)
          pages.push({ externalAccountId: id, name: name ?? id, tokens: { accessToken: access_token } })
      }
      after = body.paging?.next ? body.paging.cursors?.after : undefined
      if (!after) break
    }
    return pages
  },
}
