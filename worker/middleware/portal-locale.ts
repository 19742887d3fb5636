import type { Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import { i18nFor, type Locale, negotiateLocale } from '../../portal/i18n/index.ts'
import { isTimeZone } from '../dates.ts'
import type { PortalEnv } from './portal-env.ts'

const COOKIE = 'lang'

/**
 * The page's language before anyone is known: the `lang` cookie, then `Accept-Language`. Pages
 * of a signed-in member switch to their saved preference once it is loaded (see portalRun).
 * Responses vary by both, and no portal page is cached: they are per person.
 */
export const portalLocale = createMiddleware<PortalEnv>(async (c, next) => {
  c.set('i18n', i18nFor(requestLocale(c)))
  await next()
  c.header('Vary', 'Accept-Language, Cookie', { append: true })
  if (!c.res.headers.has('cache-control')) c.header('Cache-Control', 'no-store')
})

export function requestLocale(c: Context, preference?: string | null): Locale {
  return negotiateLocale({
    preference,
    cookie: getCookie(c, COOKIE),
    acceptLanguage: c.req.header('accept-language'),
  })
}

/** Remembers a language choice for visitors and operators (members also save it to their account). */
export function rememberLocale(c: Context, locale: Locale): void {
  setCookie(c, COOKIE, locale, {
    path: '/',
    secure: true,
    httpOnly: true,
    sameSite: 'Lax',
    maxAge: 365 * 86_400,
  })
}

/**
 * The zone the signed-in person reads times in (portal/viewer.ts: their own choice, else their
 * tenant's, else São Paulo), never the zone the request came from: a clinic's 08:30 must read 08:30
 * to its staff wherever they are. Known once `portalRun` has loaded the viewer; called before that
 * it throws, so a page cannot silently show another zone.
 */
export function memberTimeZone(c: Context<PortalEnv>): string {
  const viewer = c.get('viewer')
  if (!viewer) throw new Error('memberTimeZone is known only inside or after portalRun')
  return viewer.zone.shown
}

/**
 * A visitor's zone on a public page (booking, storefront), who has no saved one: where Cloudflare
 * locates the request (`request.cf.timezone`), else `fallback`. Never for signed-in pages.
 */
export function requestTimeZone(c: Context, fallback: string): string {
  const zone = (c.req.raw as { cf?: { timezone?: unknown } }).cf?.timezone
  return typeof zone === 'string' && isTimeZone(zone) ? zone : fallback
}
