import type { MemberRole, Module } from '../db/schema/index.ts'

/** The signed-in person as the portal shows them (loaded with the page's own work, see portalRun). */
export type Viewer =
  | { kind: 'operator'; id: string; name: string; email: string }
  | {
      kind: 'member'
      id: string
      name: string
      email: string
      role: MemberRole
      tenantName: string
      locale: string | null
      /** The modules the tenant's license grants now: the menu shows only these. */
      modules: readonly Module[]
    }
