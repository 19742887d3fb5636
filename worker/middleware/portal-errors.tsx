import type { Context } from 'hono'
import { type I18n, i18nFor, type MessageKey } from '../../portal/i18n/index.ts'
import { areaOf, Shell } from '../../portal/layouts/shell.tsx'
import { disabledModule, ErrorPage } from '../../portal/pages/error.tsx'
import type { Viewer } from '../../portal/viewer.ts'
import type { ApiError } from '../errors.ts'
import { requestLocale } from './portal-locale.ts'
import { clearSessionCookie } from './portal-session.ts'

/** The portals' paths: errors there are pages for people, not the API's JSON envelope. */
export const isPortalPath = (path: string) => /^\/(admin|app)(\/|$)/.test(path)

function messageFor(error: ApiError): MessageKey {
  if (error.code === 'CSRF_REFUSED') return 'error.CSRF_REFUSED'
  if (error.code === 'LICENSE_INACTIVE') return 'error.LICENSE_INACTIVE'
  if (error.code === 'MODULE_DISABLED') return 'error.MODULE_DISABLED'
  if (error.status === 404) return 'error.notFound.body'
  if (error.status === 403) return 'error.forbidden.body'
  if (error.status === 429) return 'error.tooMany.body'
  if (error.status >= 500) return 'error.server.body'
  return 'error.badRequest.body'
}

/**
 * The portal's answer to an error: a sign-in redirect for 401 (the session ended or never was),
 * otherwise a friendly page in the visitor's language with the request id, never the envelope.
 * htmx requests get the same page through a full navigation, so no half-page error is left.
 */
export async function portalErrorResponse(c: Context, error: ApiError, requestId: string): Promise<Response> {
  const path = c.req.path
  const area = areaOf(path)
  const htmx = c.req.header('hx-request') === 'true'
  if (error.status === 401) {
    clearSessionCookie(c)
    const next = c.req.method === 'GET' ? `?next=${encodeURIComponent(path)}` : ''
    const location = `/${area}/login${next}`
    if (htmx) return c.body(null, 200, { 'HX-Redirect': location })
    return c.redirect(location, 303)
  }
  if (error.code === 'PASSWORD_CHANGE_REQUIRED' || error.code === 'TOTP_ENROLMENT_REQUIRED') {
    // Someone else set the password, or a second factor is required and missing: nothing but the
    // account page until that is done.
    const location = `/${area}/account?required=${error.code === 'PASSWORD_CHANGE_REQUIRED' ? 'password' : 'totp'}`
    if (htmx) return c.body(null, 200, { 'HX-Redirect': location })
    return c.redirect(location, 303)
  }
  const i18n = (c.get('i18n') as I18n | undefined) ?? i18nFor(requestLocale(c))
  const viewer = c.get('viewer') as Viewer | undefined
  const csrfToken = (c.get('csrfToken') as string | undefined) ?? ''
  const page = (
    <Shell i18n={i18n} page={{ csrfToken, path }} title={i18n.t('error.pageTitle')} viewer={viewer}>
      <ErrorPage
        status={error.status}
        message={messageFor(error)}
        requestId={requestId}
        home={viewer ? `/${area}` : `/${area}/login`}
        module={error.code === 'MODULE_DISABLED' ? disabledModule(error.details) : undefined}
      />
    </Shell>
  )
  const headers: Record<string, string> = { 'Cache-Control': 'no-store', ...(error.headers ?? {}) }
  // htmx swaps error answers too (htmx 4): a full page must replace the page, not a section.
  if (htmx) {
    headers['HX-Retarget'] = 'body'
    headers['HX-Reswap'] = 'outerHTML'
    headers['HX-Reselect'] = 'body'
  }
  return c.html(`<!DOCTYPE html>${await page.toString()}`, error.status, headers)
}
