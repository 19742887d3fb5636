/**
 * Shared state of the fake platforms: which tokens are revoked and which accounts are scripted to
 * fail. Tests and `npm run dev` drive it through `/__control/*` on the fake server; one server
 * serves all test files at once, so both are keyed by the token or account a test owns.
 */
export type Scenario = 'throttle' | 'server_error' | 'slow' | 'retired_metric'

export const state = {
  revokedTokens: new Set<string>(),
  /** account id → scenario applied to its next requests (until cleared). */
  scenarios: new Map<string, Scenario>(),
  /** Requests seen, by platform: lets tests count calls and assert backoff. */
  requests: [] as { platform: string; path: string; at: number }[],
}

/** A token is valid if it was issued by the fake (`fake-…`) and not revoked. */
export const tokenValid = (token: string | null | undefined) =>
  Boolean(token?.startsWith('fake-') && !state.revokedTokens.has(token))

/** Deterministic pseudo-random integer in [min, max] for an account, metric and day. */
export function valueFor(account: string, metric: string, day: string, min: number, max: number): number {
  let hash = 2166136261
  for (const char of `${account}|${metric}|${day}`) {
    hash ^= char.charCodeAt(0)
    hash = Math.imul(hash, 16777619)
  }
  return min + ((hash >>> 0) % (max - min + 1))
}

/** A follower count that grows steadily with the day, so charts show growth. */
export function followersOn(account: string, day: string): number {
  const base = valueFor(account, 'followers-base', '0', 2_000, 50_000)
  const days = Math.floor(Date.parse(`${day}T00:00:00Z`) / 86_400_000) - 20_000
  return base + days * valueFor(account, 'followers-growth', '0', 3, 40)
}
