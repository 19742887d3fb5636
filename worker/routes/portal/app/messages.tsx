import { MessagesPage } from '../../../../portal/pages/app/messages.tsx'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { listMessages } from '../../../services/messaging/messages.ts'
import { portalRun, signedIn } from '../run.ts'

/** How many of the newest messages the page lists (the API pages through all of them). */
const PAGE_SIZE = 50

/**
 * The messaging outbox's page: what the tenant's modules sent and where each message stands,
 * refreshed live as statuses arrive (the first page to use the real-time channel, docs/realtime.md).
 * Its htmx refreshes come back here and get only the page's content (the renderer's rule).
 */
export function registerPortalMessages(portal: PortalApp) {
  portal.get('/app/messages', signedIn('member'), async (c) => {
    const page = await portalRun(c, (ctx) => listMessages(ctx, { limit: PAGE_SIZE }))
    c.header('Cache-Control', 'no-store')
    return c.render(<MessagesPage messages={page.data} />, { title: c.var.i18n.t('messages.title') })
  })
}
