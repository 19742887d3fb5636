import type { Child } from 'hono/jsx'
import type { Module } from '../../db/schema/index.ts'
import { type Permission, roleCan } from '../../worker/auth/permissions.ts'
import { CsrfField } from '../components/forms.tsx'
import { PageContext, type PageInfo } from '../components/page.ts'
import { type I18n, I18nContext, LOCALES, type MessageKey } from '../i18n/index.ts'
import type { Viewer } from '../viewer.ts'

/**
 * A menu entry, shown to the member roles that hold its permission (all when none) and only when
 * the plan has its module: an agent sees the inbox, not the metrics it may not read.
 */
type NavItem = { href: string; label: MessageKey; permission?: Permission; module?: Module }

const APP_NAV: NavItem[] = [
  { href: '/app', label: 'nav.overview', permission: 'metrics.read' },
  { href: '/app/connections', label: 'nav.connections', permission: 'connections.read' },
  { href: '/app/metrics', label: 'nav.metrics', permission: 'metrics.read', module: 'metrics' },
  // Scheduled reports (docs/reports.md): for the roles that may read them.
  { href: '/app/reports', label: 'nav.reports', permission: 'reports.read', module: 'metrics' },
  { href: '/app/calendar', label: 'nav.calendar', permission: 'calendar.read', module: 'calendar' },
  // The WhatsApp inbox (docs/attendance.md): for the roles that may read it.
  { href: '/app/inbox', label: 'nav.inbox', permission: 'attendance.read', module: 'attendance' },
  // Scheduling (docs/scheduling.md): every role reads the day view; forms follow permissions.
  { href: '/app/schedule', label: 'nav.schedule', permission: 'scheduling.read', module: 'scheduling' },
  // Commerce (docs/commerce.md): the orders board, for every role; moves follow `commerce.fulfil`.
  { href: '/app/commerce', label: 'nav.commerce', permission: 'commerce.read', module: 'commerce' },
  // Commerce campaigns and coupons (docs/commerce.md): every role reads the results.
  {
    href: '/app/commerce/campaigns',
    label: 'nav.campaigns',
    permission: 'commerce.read',
    module: 'commerce',
  },
  { href: '/app/messages', label: 'nav.messages', permission: 'messages.read' },
  { href: '/app/team', label: 'nav.team', permission: 'users.manage' },
  { href: '/app/api-keys', label: 'nav.apiKeys', permission: 'api_keys.manage' },
  { href: '/app/settings', label: 'nav.settings', permission: 'connections.manage' },
  { href: '/app/sessions', label: 'nav.sessions' },
  { href: '/app/account', label: 'nav.account' },
  { href: '/app/privacy', label: 'nav.privacy' },
]

const ADMIN_NAV: NavItem[] = [
  { href: '/admin', label: 'nav.dashboard' },
  { href: '/admin/tenants', label: 'nav.tenants' },
  { href: '/admin/plans', label: 'nav.plans' },
  { href: '/admin/licenses', label: 'nav.licenses' },
  { href: '/admin/audit', label: 'nav.audit' },
  { href: '/admin/privacy/erasure-requests', label: 'nav.erasure' },
  { href: '/admin/privacy/processing-records', label: 'nav.processing' },
  { href: '/admin/sessions', label: 'nav.sessions' },
  { href: '/admin/account', label: 'nav.account' },
]

/** `/admin…` pages belong to the admin central, everything else to the client portal. */
export const areaOf = (path: string): 'admin' | 'app' => (path.startsWith('/admin') ? 'admin' : 'app')

const isCurrent = (href: string, path: string) =>
  href === '/app' || href === '/admin' ? path === href : path === href || path.startsWith(`${href}/`)

/** Language, CSRF token and path for every component below, in full pages and in fragments alike. */
export function Providers(props: { i18n: I18n; page: PageInfo; children: Child }) {
  return (
    <I18nContext.Provider value={props.i18n}>
      <PageContext.Provider value={props.page}>{props.children}</PageContext.Provider>
    </I18nContext.Provider>
  )
}

function Nav(props: { i18n: I18n; viewer: Viewer; path: string }) {
  const { t } = props.i18n
  const viewer = props.viewer
  const items =
    viewer.kind === 'operator'
      ? ADMIN_NAV
      : APP_NAV.filter(
          (item) =>
            (!item.permission || roleCan(viewer.role, item.permission)) &&
            (!item.module || viewer.modules.includes(item.module)),
        )
  return (
    <nav class="nav" aria-label={t('nav.label')}>
      <ul>
        {items.map((item) => (
          <li>
            <a href={item.href} aria-current={isCurrent(item.href, props.path) ? 'page' : undefined}>
              {t(item.label)}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  )
}

function LanguageSwitcher(props: { i18n: I18n; path: string; csrfToken: string }) {
  const { t, locale } = props.i18n
  return (
    <form method="post" action={`/${areaOf(props.path)}/language`} class="lang">
      <CsrfField token={props.csrfToken} />
      <input type="hidden" name="back" value={props.path} />
      <span id="lang-label">{t('language.label')}</span>
      {LOCALES.map((option) => (
        <button
          type="submit"
          name="locale"
          value={option}
          class="link"
          lang={option}
          aria-describedby="lang-label"
          aria-pressed={option === locale ? 'true' : 'false'}
        >
          {t(`language.${option}`)}
        </button>
      ))}
    </form>
  )
}

/**
 * The page around every portal screen: one stylesheet and htmx (and, for members, the live-update
 * script), all from our own static
 * assets (the CSP allows scripts from 'self' only, so htmx is configured by a meta tag and no
 * inline script or style exists anywhere).
 */
export function Shell(props: {
  i18n: I18n
  page: PageInfo
  title: string
  viewer?: Viewer
  children: Child
}) {
  const { i18n, page, viewer } = props
  const { t } = i18n
  const area = areaOf(page.path)
  return (
    <html lang={i18n.locale}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        {/* htmx would inject an inline <style> for indicators, which the CSP refuses. */}
        <meta name="htmx-config" content='{"includeIndicatorCSS":false}' />
        <title>{`${props.title} · ${t(area === 'admin' ? 'brand.admin' : 'brand.app')}`}</title>
        <link rel="stylesheet" href="/css/portal.css" />
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <script src="/vendor/htmx.min.js" defer />
        {/* Live updates (portal/public/js/live.js): idle on pages with no `data-live` section. */}
        {viewer?.kind === 'member' && <script src="/js/live.js" defer />}
      </head>
      <body>
        <a class="skip" href="#main">
          {t('a11y.skipToContent')}
        </a>
        <header class="top">
          <a class="brand" href={viewer ? `/${area}` : `/${area}/login`}>
            {t(area === 'admin' ? 'brand.admin' : 'brand.app')}
          </a>
          {viewer && (
            <div class="who">
              <span>
                {viewer.name}
                {viewer.kind === 'member' && <span class="muted"> · {viewer.tenantName}</span>}
              </span>
              <form method="post" action={`/${area}/logout`}>
                <CsrfField token={page.csrfToken} />
                <button type="submit" class="link">
                  {t('nav.signOut')}
                </button>
              </form>
            </div>
          )}
        </header>
        {viewer && <Nav i18n={i18n} viewer={viewer} path={page.path} />}
        <main id="main" tabindex={-1}>
          <Providers i18n={i18n} page={page}>
            {props.children}
          </Providers>
        </main>
        <footer class="foot">
          <LanguageSwitcher i18n={i18n} path={page.path} csrfToken={page.csrfToken} />
        </footer>
      </body>
    </html>
  )
}
