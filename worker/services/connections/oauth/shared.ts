import type { Platform } from '../../../../db/schema/index.ts'
import type { Principal } from '../../../auth/principal.ts'
import type { Config } from '../../../config.ts'
import type { OAuthApp } from '../../../connectors/oauth.ts'
import { ApiError } from '../../../errors.ts'
import type { SecretRef } from '../../../vault/vault.ts'

/*
 * OAuth connect, in three files: start.ts (a signed state bound to tenant, person and session, a
 * server-side row, PKCE where the platform has it; the state used once and the code exchanged),
 * selections.ts (a short-lived choice where one login grants several accounts) and connect.ts (the
 * connections themselves, made by the same verbs as the register-token flow, and the two flows
 * the API and the portal call). This file holds what all three need.
 */

export type Member = Extract<Principal, { kind: 'member' }>

/** OAuth happens in a person's browser: an API key has no one to send to the consent page. */
export function requireMember(principal: Principal): asserts principal is Member {
  if (principal.kind !== 'member') {
    throw new ApiError(
      403,
      'NOT_A_SESSION',
      'Connecting through OAuth needs a signed-in user, not an API key.',
    )
  }
}

/** The platform app's credentials (`<PLATFORM>_CLIENT_ID` / `_CLIENT_SECRET` secrets). */
export function oauthAppFor(config: Config, platform: Platform): OAuthApp {
  const app = config.PLATFORM_APPS[platform]
  if (!app) {
    throw new ApiError(
      503,
      'OAUTH_NOT_CONFIGURED',
      `Connecting ${platform} through OAuth is not configured here.`,
    )
  }
  return app
}

/** One answer for a state that is forged, expired, used, or someone else's: nothing to tell apart. */
export const oauthStateRefused = () =>
  new ApiError(
    400,
    'OAUTH_STATE_INVALID',
    'This authorization link is invalid, expired or already used; start the connection again.',
  )

export const selectionRef = (tenantId: string, selectionId: string): SecretRef => ({
  tenantId,
  ownerId: selectionId,
  purpose: 'access_token',
})
