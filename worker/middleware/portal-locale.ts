import type { Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import { i18nFor, type Locale, negotiateLocale } from '../../portal/i18n/index.ts'
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
 * The visitor's time zone, for times that matter to the minute (when an erasure runs): the one
 * Cloudflare locates the request in (`request.cf.timezone`), else `fallback` (UTC unless the page
 * knows better: scheduling's staff pages fall back to São Paulo, like the public booking page). Portal pages cannot run
 * a script to ask the browser (only our static assets may load), and people have no zone setting yet.
 */
export function requestTimeZone(c: Context, fallback = 'UTC'): string {
  const zone = (c.req.raw as { cf?: { timezone?: unknown } }).cf?.timezone
  if (typeof zone !== 'string' || zone === '') return fallback
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone })
    return zone
  } catch {
    return fallback
  }
}
