import { PrivacyPage } from '../../../../portal/pages/app/privacy.tsx'
import type { PortalApp } from '../index.ts'
import { portalRun, signedIn } from '../run.ts'

/** A placeholder the LGPD issue fills (export, erasure, consents); see portal/pages/app/privacy.tsx. */
export function registerPortalPrivacy(portal: PortalApp) {
  portal.get('/app/privacy', signedIn('member'), async (c) => {
    await portalRun(c, async () => undefined)
    return c.render(<PrivacyPage />, { title: c.var.i18n.t('privacy.title') })
  })
}
