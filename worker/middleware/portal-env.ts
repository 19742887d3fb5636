import type { Hono } from 'hono'
import type { I18n } from '../../portal/i18n/index.ts'
import type { Viewer } from '../../portal/viewer.ts'
import type { AppEnv } from '../env.ts'

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

/** The portal's sub-app, on which every portal handler file registers its pages. */
export type PortalApp = Hono<PortalEnv>
