import type { App } from '../../env.ts'
import { registerPrivacyAdmin } from './admin.ts'
import { registerConsent } from './consent.ts'
import { registerExportDownload } from './download.ts'
import { registerErasure } from './erasure.ts'
import { registerExports } from './exports.ts'
import { registerMetricsPurge } from './metrics-purge.ts'

/** Privacy under the LGPD: consent, portability, erasure, records of processing (README). */
export function registerPrivacyRoutes(app: App) {
  registerConsent(app)
  registerMetricsPurge(app)
  registerExports(app)
  registerExportDownload(app)
  registerErasure(app)
  registerPrivacyAdmin(app)
}
