import type { MemberRole, Module } from '../db/schema/index.ts'

/** Where Integra's customers mostly are: the zone of a person who chose none and has no tenant. */
export const DEFAULT_TIME_ZONE = 'America/Sao_Paulo'

/** The zone a page shows times in, and where it comes from (the account page offers the choice). */
export type ViewerZone = {
  /** Times on every page: the person's own choice, else the tenant's, else DEFAULT_TIME_ZONE. */
  shown: string
  /** The person's own choice (null: follow the tenant's zone). */
  own: string | null
  /** What `shown` falls back to without a choice of one's own. */
  fallback: string
}

/** The signed-in person as the portal shows them (loaded with the page's own work, see portalRun). */
export type Viewer =
  | { kind: 'operator'; id: string; name: string; email: string; zone: ViewerZone }
  | {
      kind: 'member'
      id: string
      name: string
      email: string
      role: MemberRole
      tenantName: string
      locale: string | null
      zone: ViewerZone
      /** The modules the tenant's license grants now: the menu shows only these. */
      modules: readonly Module[]
    }
