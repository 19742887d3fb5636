import { Hono } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { MessageKey } from '../../../portal/i18n/index.ts'
import type { App } from '../../env.ts'
import { ApiError } from '../../errors.ts'
import type { PortalEnv } from '../../middleware/portal-env.ts'
import { portalLocale } from '../../middleware/portal-locale.ts'
import { readSubscription, type UnsubscribeLink, unsubscribe } from '../../services/reports/unsubscribe.ts'
import {
  limitPublicWrites,
  type PublicPageContext,
  publicLanguage,
  renderPublicPage,
} from '../public-page.tsx'

const PATH = '/reports/:slug/unsubscribe/:schedule/:who/:sig'

/** The link's parts; the address travels as base64url in the path, so `?lang=` keeps it whole. */
function linkOf(c: PublicPageContext): UnsubscribeLink | null {
  const slug = c.req.param('slug') ?? ''
  const schedule = c.req.param('schedule') ?? ''
  const who = c.req.param('who') ?? ''
  const sig = c.req.param('sig') ?? ''
  if (!/^[a-z0-9-]{1,63}$/.test(slug) || !/^rps_[0-9a-z]{20}$/.test(schedule)) return null
  if (!/^[A-Za-z0-9_-]{43}$/.test(sig) || !/^[A-Za-z0-9_-]{1,400}$/.test(who)) return null
  try {
    const bytes = Uint8Array.from(atob(who.replaceAll('-', '+').replaceAll('_', '/')), (ch) =>
      ch.charCodeAt(0),
    )
    return {
      slug,
      scheduleId: schedule,
      address: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes),
      sig,
    }
  } catch {
    return null
  }
}

/**
 * The one-click POST (RFC 8058) comes from the recipient's mail provider, with no cookie and no
 * page before it: the link's signature is what authorizes it, so these pages skip the portal's
 * CSRF check; the page's own button posts to the same signed address.
 */
const noCsrf = createMiddleware<PortalEnv>(async (c, next) => {
  c.set('csrfToken', '')
  await next()
})

/** A link that is not one (forged, another schedule's, a tenant gone) reads as expired, 404. */
async function orInvalid(c: PublicPageContext, work: () => Promise<Response>) {
  try {
    return await work()
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error
    return renderPublicPage(
      c,
      '',
      'reports.unsubscribe.title',
      <p>{c.var.i18n.t('reports.unsubscribe.invalid')}</p>,
      404,
    )
  }
}

function Question(props: {
  report: string
  subscribed: boolean
  t: (key: MessageKey, p?: Record<string, string>) => string
}) {
  if (!props.subscribed) return <p>{props.t('reports.unsubscribe.already', { report: props.report })}</p>
  return (
    <form method="post" class="card">
      <p>{props.t('reports.unsubscribe.question', { report: props.report })}</p>
      <button type="submit" class="primary" name="List-Unsubscribe" value="One-Click">
        {props.t('reports.unsubscribe.button')}
      </button>
    </form>
  )
}

/** Unsubscribe from a scheduled report without signing in (docs/reports.md, "Unsubscribe"). */
export function registerUnsubscribePage(app: App) {
  app.use('/reports/*', portalLocale, noCsrf)
  const page = new Hono<PortalEnv>()

  // Opening the link only asks: mail scanners fetch links, and must not unsubscribe anyone.
  page.get(PATH, (c) =>
    orInvalid(c, async () => {
      publicLanguage(c)
      const link = linkOf(c)
      if (!link) throw new ApiError(404, 'NOT_FOUND', 'No such subscription.')
      const found = await readSubscription(c.var.caller.services, link)
      return renderPublicPage(
        c,
        found.business,
        'reports.unsubscribe.title',
        <Question report={found.report} subscribed={found.subscribed} t={c.var.i18n.t} />,
      )
    }),
  )

  page.post(PATH, (c) =>
    orInvalid(c, async () => {
      await limitPublicWrites(c, 'reports-unsubscribe')
      publicLanguage(c)
      const link = linkOf(c)
      if (!link) throw new ApiError(404, 'NOT_FOUND', 'No such subscription.')
      const done = await unsubscribe(c.var.caller.services, c.var.caller.meta, link)
      return renderPublicPage(
        c,
        done.business,
        'reports.unsubscribe.title',
        <p role="status">{c.var.i18n.t('reports.unsubscribe.done', { report: done.report })}</p>,
      )
    }),
  )
  app.route('/', page)
}
