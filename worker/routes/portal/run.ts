import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { errorMessageKey, i18nFor, type MessageKey } from '../../../portal/i18n/index.ts'
import { DEFAULT_TIME_ZONE, type Viewer, type ViewerZone } from '../../../portal/viewer.ts'
import { ApiError, isErrorCode } from '../../errors.ts'
import type { PortalEnv } from '../../middleware/portal-env.ts'
import { requestLocale } from '../../middleware/portal-locale.ts'
import { describeMe } from '../../services/auth/account.ts'
import type { Caller, RunOptions } from '../../services/caller.ts'
import type { ServiceContext } from '../../services/context.ts'

export type PortalContext = Context<PortalEnv>

/**
 * Runs the page's service verbs through the request scope (session confirmed in the same
 * transaction, tenant from the principal, module gate) and, in that same transaction, loads who
 * is signed in (name, tenant, saved language) for the page around it.
 */
export async function portalRun<T>(
  c: PortalContext,
  work: (ctx: ServiceContext) => Promise<T>,
  options: RunOptions = {},
): Promise<T> {
  return c.var.caller.run(async (ctx) => {
    const me = await describeMe(ctx)
    const zone = (own: string | null, fallback: string): ViewerZone => ({
      shown: own ?? fallback,
      own,
      fallback,
    })
    const viewer: Viewer | undefined =
      ctx.principal.kind === 'operator' && me.user
        ? {
            kind: 'operator',
            id: me.user.id,
            name: me.user.name,
            email: me.user.email,
            zone: zone(me.user.timeZone, DEFAULT_TIME_ZONE),
          }
        : ctx.principal.kind === 'member' && me.user && me.tenant
          ? {
              kind: 'member',
              id: me.user.id,
              name: me.user.name,
              email: me.user.email,
              role: ctx.principal.role,
              tenantName: me.tenant.name,
              locale: 'locale' in me.user ? (me.user.locale ?? null) : null,
              zone: zone(me.user.timeZone, me.tenant.timeZone),
              modules: ctx.modules,
            }
          : undefined
    c.set('viewer', viewer)
    // Operators' language is their cookie's (read by the locale middleware); the zone is saved.
    const locale = viewer?.kind === 'member' ? requestLocale(c, viewer.locale) : c.var.i18n.locale
    if (viewer) c.set('i18n', i18nFor(locale, viewer.zone.shown))
    return work(ctx)
  }, options)
}

/**
 * The request scope for a service flow called by a page: its transactions load the viewer as
 * `portalRun` does, so the page around the flow's result knows who is signed in.
 */
export const portalCaller = (c: PortalContext): Caller => ({
  ...c.var.caller,
  run: (work, options) => portalRun(c, work, options),
})

export const isHtmx = (c: Context) =>
  c.req.header('hx-request') === 'true' && c.req.header('hx-history-restore-request') !== 'true'

/** After a successful form post: 303 to the page (post/redirect/get), or htmx's own redirect. */
export function seeOther(c: Context, location: string): Response {
  if (isHtmx(c)) {
    c.header('HX-Redirect', location)
    return c.body(null, 200)
  }
  return c.redirect(location, 303)
}

/** Only same-site portal paths are followed after sign-in: no open redirect. */
export function safeNext(next: unknown, area: 'admin' | 'app'): string {
  return typeof next === 'string' && /^\/(admin|app)(\/[\w\-/?=&.%]*)?$/.test(next) && !next.startsWith('//')
    ? next
    : `/${area}`
}

/**
 * Pages of one portal need a signed-in person of its kind: nobody → that portal's login (coming
 * back here afterwards); the other kind → their own portal.
 */
export const signedIn = (kind: 'operator' | 'member') =>
  createMiddleware<PortalEnv>(async (c, next) => {
    const credential = c.var.caller.credential
    const area = kind === 'operator' ? 'admin' : 'app'
    if (credential?.kind !== 'token') {
      const back = c.req.method === 'GET' ? `?next=${encodeURIComponent(c.req.path + queryOf(c))}` : ''
      return seeOther(c, `/${area}/login${back}`)
    }
    if (credential.principal.kind !== kind) return seeOther(c, kind === 'operator' ? '/app' : '/admin')
    await next()
  })

const queryOf = (c: Context) => {
  const url = new URL(c.req.url)
  return url.search
}

/** The catalog key for an API error code (`error.CODE`), or the generic one for its status. */
export function errorKey(error: ApiError): MessageKey {
  const specific = errorMessageKey(error.code)
  if (specific) return specific
  if (error.status === 404) return 'error.notFound.body'
  if (error.status === 403) return 'error.forbidden.body'
  if (error.status === 429) return 'error.RATE_LIMITED'
  if (error.status < 500) return 'error.badRequest.body'
  return 'error.server.body'
}

/** Runs a form's service call; an ApiError becomes the message to show beside the form. */
export async function attempt<T>(
  work: () => Promise<T>,
): Promise<
  | { ok: true; value: T }
  | { ok: false; error: ApiError; message: MessageKey; fields: Record<string, MessageKey> }
> {
  try {
    return { ok: true, value: await work() }
  } catch (error) {
    // Authentication, CSRF and server faults are not the form's business: the error page says them.
    if (!(error instanceof ApiError) || error.status === 401 || error.status >= 500) throw error
    const fields: Record<string, MessageKey> = {}
    for (const field of error.fields ?? []) {
      const name = field.path.split('.').at(-1) ?? field.path
      fields[name] = 'form.invalid'
    }
    return { ok: false, error, message: errorKey(error), fields }
  }
}

/** A message named in the URL after a redirect (`?error=CODE`): only catalog keys, never free text. */
export function errorFromQuery(c: Context): MessageKey | undefined {
  const code = c.req.query('error')
  if (!code || !/^[A-Z_]{3,40}$/.test(code)) return undefined
  return (isErrorCode(code) && errorMessageKey(code)) || 'error.badRequest.body'
}

/**
 * Runs an action and goes back to `back` (post/redirect/get, for plain forms and htmx alike):
 * with `?done=<notice>` on success, or `?error=<CODE>` when the service refused it (a conflict, a
 * limit), which the page shows beside its list.
 */
export async function actThenBack(c: Context, back: string, done: string, work: () => Promise<unknown>) {
  const outcome = await attempt(work)
  const separator = back.includes('?') ? '&' : '?'
  return seeOther(c, `${back}${separator}${outcome.ok ? `done=${done}` : `error=${outcome.error.code}`}`)
}

/** Refusals that are not a form's business: the error page says them, as for a forged post. */
const NOT_THE_FORMS = new Set(['FORBIDDEN', 'MODULE_DISABLED', 'LICENSE_INACTIVE'])

/**
 * A member's change through the page's verbs (in `portalRun`, with the module gate of `options`),
 * then back to `back` with `?done=<done>` or the refusal the page can explain as `?error=CODE` (a
 * taken slot, a closed order). An unknown or another tenant's id, a role or plan without it, is the
 * error page instead.
 */
export async function changeThenBack(
  c: PortalContext,
  back: string,
  done: string,
  work: (ctx: ServiceContext) => Promise<unknown>,
  options: RunOptions = {},
) {
  const outcome = await attempt(() => portalRun(c, work, options))
  if (!outcome.ok && (outcome.error.status === 404 || NOT_THE_FORMS.has(outcome.error.code)))
    throw outcome.error
  const separator = back.includes('?') ? '&' : '?'
  return seeOther(c, `${back}${separator}${outcome.ok ? `done=${done}` : `error=${outcome.error.code}`}`)
}
