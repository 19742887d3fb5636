import type { Context } from 'hono'
import type { Child } from 'hono/jsx'
import { type I18n, i18nFor, type MessageKey, matchLocale } from '../../portal/i18n/index.ts'
import { BookLayout } from '../../portal/pages/book/book.tsx'
import { ApiError } from '../errors.ts'
import type { PortalEnv } from '../middleware/portal-env.ts'
import { rememberLocale } from '../middleware/portal-locale.ts'

/**
 * What the public pages without a sign-in share (the booking page /book, the storefront /shop):
 * the visitor's language, the business's page frame and a per-address limit on their writes.
 */
export type PublicPageContext = Context<PortalEnv>

/** `?lang=en` switches the page's language and remembers it; otherwise cookie, then Accept-Language. */
export function publicLanguage(c: PublicPageContext): I18n {
  const asked = matchLocale(c.req.query('lang'))
  if (asked) {
    rememberLocale(c, asked)
    c.set('i18n', i18nFor(asked))
  }
  return c.var.i18n
}

/** A whole page in the business's frame (its name, the language switch, the CSRF token). */
export async function renderPublicPage(
  c: PublicPageContext,
  business: string,
  title: MessageKey,
  body: Child,
  status = 200,
) {
  const i18n = c.var.i18n
  const page = (
    <BookLayout
      i18n={i18n}
      csrfToken={c.var.csrfToken}
      path={c.req.path}
      business={business}
      title={i18n.t(title)}
    >
      {body}
    </BookLayout>
  )
  return c.html(`<!DOCTYPE html>${await page.toString()}`, status as 200)
}

/**
 * Per-address limit on a public page's writes through the Workers rate limiter the API uses,
 * keyed by page (`scope`) so one page's visitors never spend another's allowance.
 */
export async function limitPublicWrites(c: PublicPageContext, scope: string) {
  const limiter = c.env.API_RATE_LIMITER
  if (!limiter) return
  const { success } = await limiter.limit({
    key: `${scope}:${c.req.header('cf-connecting-ip') ?? 'unknown'}`,
  })
  if (!success)
    throw new ApiError(429, 'RATE_LIMITED', 'Too many requests; slow down and retry shortly.', {
      headers: { 'Retry-After': '60' },
    })
}
