import { z } from 'zod'
import { PLATFORMS, type Platform } from '../../../../db/schema/index.ts'
import type { FormState } from '../../../../portal/components/forms.tsx'
import type { MessageKey } from '../../../../portal/i18n/index.ts'
import { ConnectionPage, SelectionPage } from '../../../../portal/pages/app/connection.tsx'
import { ConnectionsPage } from '../../../../portal/pages/app/connections.tsx'
import { can } from '../../../auth/permissions.ts'
import { ApiError } from '../../../errors.ts'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import {
  connectWithToken,
  deleteConnection,
  getConnection,
  listConnections,
  listRuns,
  type RegisterInput,
  requestCollection,
  updateConnection,
} from '../../../services/connections/connections.ts'
import { completeOAuth, connectSelection } from '../../../services/connections/oauth/connect.ts'
import { startOAuth } from '../../../services/connections/oauth/start.ts'
import { reconnectWithToken } from '../../../services/connections/reconnect.ts'
import { platformToken } from '../../connections/collection.ts'
import { formValues, many, readForm } from '../forms.ts'
import { attempt, isHtmx, type PortalContext, portalCaller, portalRun, seeOther, signedIn } from '../run.ts'

const ID = ':id{con_[0-9a-z]{20}}'
const METRICS = { module: 'metrics' } as const

/** Confirmations shown after a post/redirect/get, by a fixed name in the URL (never free text). */
const NOTICES: Record<string, MessageKey> = {
  registered: 'connections.registered',
  connected: 'connections.connected',
  paused: 'connections.paused',
  resumed: 'connections.resumed',
  collecting: 'connections.collecting',
  reconnected: 'connections.reconnected',
  disconnected: 'connections.disconnected',
}

/** As the API's: a token with whitespace or control characters inside is refused, not sent. */
const tokenFields = {
  access_token: platformToken,
  refresh_token: z
    .string()
    .trim()
    .max(4096)
    .transform((v) => v || undefined)
    .pipe(platformToken.optional()),
}
const registerForm = z.object({
  platform: z.enum(PLATFORMS),
  external_account_id: z.string().trim().min(1).max(100),
  label: z
    .string()
    .trim()
    .max(100)
    .transform((v) => v || undefined),
  ...tokenFields,
})

const canManage = (c: PortalContext) => {
  const credential = c.var.caller.credential
  return credential?.kind === 'token' && can(credential.principal, 'connections.manage')
}

const oauthReady = (c: PortalContext) => Object.keys(c.var.caller.services.config.PLATFORM_APPS) as Platform[]

/** Where the platform sends the browser back to: a portal page, so the person lands on HTML. */
const callbackUri = (c: PortalContext, platform: Platform) => {
  const base = c.var.caller.services.config.OAUTH_REDIRECT_BASE ?? new URL(c.req.url).origin
  return `${base.replace(/\/+$/, '')}/app/connections/oauth/${platform}/callback`
}

async function renderList(
  c: PortalContext,
  extra: { notice?: MessageKey; error?: MessageKey; form?: FormState } = {},
) {
  const page = await portalRun(c, (ctx) => listConnections(ctx, { limit: 100 }), METRICS)
  return c.render(
    <ConnectionsPage
      connections={page.data}
      canManage={canManage(c)}
      oauthPlatforms={oauthReady(c)}
      {...extra}
    />,
    { title: c.var.i18n.t('connections.title') },
  )
}

async function renderOne(
  c: PortalContext,
  id: string,
  extra: { notice?: MessageKey; form?: FormState } = {},
) {
  const { connection, runs } = await portalRun(
    c,
    async (ctx) => {
      const connection = await getConnection(ctx, id)
      if (connection.status === 'disconnected') throw new ApiError(404, 'NOT_FOUND', 'No such connection.')
      return { connection, runs: await listRuns(ctx, id) }
    },
    METRICS,
  )
  const oauth = oauthReady(c).includes(connection.platform)
  return c.render(
    <ConnectionPage connection={connection} runs={runs} canManage={canManage(c)} oauth={oauth} {...extra} />,
    { title: connection.label ?? connection.displayName ?? connection.externalAccountId },
  )
}

/** After an action: htmx gets the list again (its section is swapped); a plain form gets a redirect. */
async function afterAction(c: PortalContext, done: keyof typeof NOTICES, back = '/app/connections') {
  if (!isHtmx(c)) return seeOther(c, `${back}?done=${done}`)
  return back === '/app/connections'
    ? renderList(c, { notice: NOTICES[done] })
    : seeOther(c, `${back}?done=${done}`)
}

/** Connections: list, register a token, connect through OAuth, pause, resume, collect now, reconnect. */
export function registerPortalConnections(portal: PortalApp) {
  portal.use('/app/connections', signedIn('member'))
  portal.use('/app/connections/*', signedIn('member'))

  portal.get('/app/connections', (c) => renderList(c, { notice: NOTICES[c.req.query('done') ?? ''] }))

  /** The register-token flow, the same three steps as POST /api/v1/connections. */
  portal.post('/app/connections', async (c) => {
    const form = await readForm(c, registerForm)
    if (!form.ok) {
      c.status(400)
      return renderList(c, { form: { values: form.values, errors: form.errors, message: 'form.fix' } })
    }
    const input: RegisterInput = {
      platform: form.data.platform,
      externalAccountId: form.data.external_account_id,
      accessToken: form.data.access_token,
      refreshToken: form.data.refresh_token,
      label: form.data.label,
    }
    const outcome = await attempt(() => connectWithToken(portalCaller(c), input))
    if (!outcome.ok) {
      c.status(outcome.error.status)
      return renderList(c, {
        form: { values: form.values, errors: outcome.fields, message: outcome.message },
      })
    }
    // The form's section is not the list: the whole page comes back with the new connection.
    return seeOther(c, '/app/connections?done=registered')
  })

  portal.get(`/app/connections/${ID}`, (c) =>
    renderOne(c, c.req.param('id'), { notice: NOTICES[c.req.query('done') ?? ''] }),
  )

  for (const [action, status, done] of [
    ['pause', 'paused', 'paused'],
    ['resume', 'active', 'resumed'],
  ] as const) {
    portal.post(`/app/connections/${ID}/${action}`, async (c) => {
      const outcome = await attempt(() =>
        portalRun(c, (ctx) => updateConnection(ctx, c.req.param('id'), { status }), METRICS),
      )
      if (!outcome.ok) {
        c.status(outcome.error.status)
        return renderList(c, { error: outcome.message })
      }
      return afterAction(c, done)
    })
  }

  portal.post(`/app/connections/${ID}/collect`, async (c) => {
    const outcome = await attempt(() =>
      portalRun(c, (ctx) => requestCollection(ctx, c.req.param('id')), METRICS),
    )
    if (!outcome.ok) {
      c.status(outcome.error.status)
      return renderList(c, { error: outcome.message })
    }
    return afterAction(c, 'collecting')
  })

  /** New tokens for an existing connection, checked with the platform first (as the API's reconnect). */
  portal.post(`/app/connections/${ID}/reconnect`, async (c) => {
    const id = c.req.param('id')
    const form = await readForm(c, z.object(tokenFields))
    if (!form.ok) {
      c.status(400)
      return renderOne(c, id, { form: { values: form.values, errors: form.errors, message: 'form.fix' } })
    }
    const outcome = await attempt(() =>
      reconnectWithToken(portalCaller(c), id, {
        accessToken: form.data.access_token,
        refreshToken: form.data.refresh_token,
      }),
    )
    if (!outcome.ok) {
      c.status(outcome.error.status)
      return renderOne(c, id, {
        form: { values: form.values, errors: outcome.fields, message: outcome.message },
      })
    }
    return seeOther(c, `/app/connections/${id}?done=reconnected`)
  })

  portal.post(`/app/connections/${ID}/disconnect`, async (c) => {
    const form = await readForm(c, z.object({ purge_metrics: z.enum(['true', 'false']) }))
    const purgeMetrics = form.ok && form.data.purge_metrics === 'true'
    await portalRun(c, (ctx) => deleteConnection(ctx, c.req.param('id'), { purgeMetrics }), METRICS)
    return seeOther(c, '/app/connections?done=disconnected')
  })

  /**
   * OAuth connect, started by a POST (CSRF-checked, it records a state). The browser then goes to
   * the platform: htmx through `HX-Redirect` (a navigation, which the CSP's form-action does not
   * govern); without JavaScript, a page with a link to continue.
   */
  portal.post('/app/connections/oauth/:platform{[a-z]+}', async (c) => {
    const platform = z.enum(PLATFORMS).safeParse(c.req.param('platform'))
    if (!platform.success) throw new ApiError(404, 'NOT_FOUND', 'No such platform.')
    const started = await portalRun(
      c,
      (ctx) => startOAuth(ctx, { platform: platform.data, redirectUri: callbackUri(c, platform.data) }),
      METRICS,
    )
    if (isHtmx(c)) return c.body(null, 200, { 'HX-Redirect': started.authorizationUrl })
    return c.render(
      <section class="narrow card">
        <h1>{c.var.i18n.t('connections.continueTitle')}</h1>
        <p>
          <a href={started.authorizationUrl}>{c.var.i18n.t('connections.continue')}</a>
        </p>
      </section>,
      { title: c.var.i18n.t('connections.continueTitle') },
    )
  })

  /**
   * The platform's answer: the same flow as /oauth/callback/:platform (state verified and used
   * once, code exchanged, accounts connected or offered for selection), and the state must name
   * the session of this cookie.
   */
  portal.get('/app/connections/oauth/:platform{[a-z]+}/callback', async (c) => {
    c.header('Referrer-Policy', 'no-referrer')
    const platform = z.enum(PLATFORMS).safeParse(c.req.param('platform'))
    if (!platform.success) throw new ApiError(404, 'NOT_FOUND', 'No such platform.')
    const outcome = await attempt(() =>
      completeOAuth(portalCaller(c), platform.data, {
        state: c.req.query('state'),
        code: c.req.query('code'),
        error: c.req.query('error'),
      }),
    )
    if (!outcome.ok) {
      // A refused state is not the list's business: the error page says it.
      if (outcome.error.code === 'OAUTH_STATE_INVALID') throw outcome.error
      c.status(outcome.error.status)
      return renderList(c, { error: outcome.message })
    }
    if (outcome.value.kind === 'selection') {
      return c.render(<SelectionPage {...outcome.value.selection} />, {
        title: c.var.i18n.t('connections.connectTitle'),
      })
    }
    return seeOther(c, '/app/connections?done=connected')
  })

  portal.post('/app/connections/oauth/selections/:id{[0-9a-f-]{36}}', async (c) => {
    const ids = [...new Set(many(await formValues(c), 'external_account_ids'))]
    if (ids.length === 0) return seeOther(c, '/app/connections')
    await connectSelection(portalCaller(c), c.req.param('id'), ids)
    return seeOther(c, '/app/connections?done=connected')
  })
}
