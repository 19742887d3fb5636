import type { MemberRole } from '../../db/schema/index.ts'
import type { I18n } from '../../portal/i18n/index.ts'
import type { AppEnv } from '../env.ts'

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
    }

/** The app's env plus what the portal middleware adds for pages. */
export type PortalEnv = {
  Bindings: AppEnv['Bindings']
  Variables: AppEnv['Variables'] & {
    /** The page's language, messages and formatters. */
    i18n: I18n
    /** The double-submit token every portal form carries (see portal-csrf.ts). */
    csrfToken: string
    viewer?: Viewer
  }
}
