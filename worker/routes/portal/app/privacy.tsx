import { z } from 'zod'
import type { MessageKey } from '../../../../portal/i18n/index.ts'
import { ExportStatus, PrivacyPage, type PurgeView } from '../../../../portal/pages/app/privacy.tsx'
import { can } from '../../../auth/permissions.ts'
import type { ApiError } from '../../../errors.ts'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { COLLECTION_POLICY_VERSION } from '../../../services/connections/connections.ts'
import { listConsents, purgeTenantMetrics, recordConsent } from '../../../services/privacy/consent.ts'
import { listOwnErasureRequests, requestTenantErasure } from '../../../services/privacy/erasure-requests.ts'
import { getExport, listExports, requestExport } from '../../../services/privacy/exports.ts'
import { CONSENT_PURPOSES } from '../../../services/privacy/processing-records.ts'
import { registerPortalAdminPrivacy } from '../admin/privacy.tsx'
import { readForm } from '../forms.ts'
import { attempt, errorFromQuery, type PortalContext, portalRun, seeOther, signedIn } from '../run.ts'

const EXPORT = ':id{exp_[0-9a-z]{20}}'
const NOTICES: Record<string, MessageKey> = {
  granted: 'privacy.consent.grantedNotice',
  revoked: 'privacy.consent.revokedNotice',
  exported: 'privacy.export.started',
  erasure: 'privacy.erasure.requested',
  purged: 'privacy.purge.done',
}

const consentForm = z.object({
  subject: z.enum(['tenant', 'connection']),
  subject_id: z.string().max(64).optional(),
  purpose: z.enum(CONSENT_PURPOSES),
  granted: z.enum(['true', 'false']),
})

type Extra = { notice?: MessageKey; error?: MessageKey; purge?: PurgeView; confirmErasure?: boolean }

async function render(c: PortalContext, extra: Extra = {}) {
  const origin = new URL(c.req.url).origin
  const data = await portalRun(c, async (ctx) => {
    const principal = ctx.principal
    const manage = can(principal, 'privacy.manage')
    const owner = can(principal, 'privacy.erase_tenant')
    let consents: Awaited<ReturnType<typeof listConsents>> | null = null
    let latestExport = null
    if (manage) {
      consents = await listConsents(ctx, { limit: 1 })
      const page = await listExports(ctx, { limit: 1 })
      const first = page.data[0]
      latestExport = first ? await getExport(ctx, { id: first.id, origin }) : null
    }
    const erasure = owner ? await listOwnErasureRequests(ctx) : []
    return { manage, owner, consents, latestExport, erasure }
  })
  const viewer = c.var.viewer
  c.header('Cache-Control', 'no-store')
  return c.render(
    <PrivacyPage
      manage={data.manage}
      owner={data.owner}
      tenantName={viewer?.kind === 'member' ? viewer.tenantName : ''}
      consents={data.consents?.current ?? []}
      tenantByDefault={data.consents?.tenantCollectionByDefault ?? true}
      latestExport={data.latestExport}
      erasure={data.erasure}
      {...extra}
    />,
    { title: c.var.i18n.t('privacy.title') },
  )
}

/** Goes back to the page with a notice or the service's refusal (post/redirect/get). */
function back(c: PortalContext, outcome: { ok: true } | { ok: false; error: ApiError }, done: string) {
  if (!outcome.ok && outcome.error.status === 403) throw outcome.error
  return seeOther(c, `/app/privacy?${outcome.ok ? `done=${done}` : `error=${outcome.error.code}`}`)
}

/**
 * The tenant's LGPD rights in the portal, through the same service verbs as /api/v1/consent,
 * /api/v1/exports and /api/v1/erasure-requests (and their permissions: a viewer gets the 403 page).
 */
export function registerPortalPrivacy(portal: PortalApp) {
  registerPortalAdminPrivacy(portal)
  portal.use('/app/privacy', signedIn('member'))
  portal.use('/app/privacy/*', signedIn('member'))

  portal.get('/app/privacy', (c) =>
    render(c, {
      notice: NOTICES[c.req.query('done') ?? ''],
      error: errorFromQuery(c),
      confirmErasure: c.req.query('erase') === 'confirm',
    }),
  )

  /** Grant or revoke; a revocation of collection answers with the purge offer on the page itself. */
  portal.post('/app/privacy/consent', async (c) => {
    const form = await readForm(c, consentForm)
    if (!form.ok) {
      c.status(400)
      return render(c, { error: 'form.fix' })
    }
    const granted = form.data.granted === 'true'
    const subjectId = form.data.subject_id || undefined
    const outcome = await attempt(() =>
      portalRun(c, (ctx) =>
        recordConsent(ctx, {
          subject: form.data.subject,
          subjectId,
          purpose: form.data.purpose,
          policyVersion: COLLECTION_POLICY_VERSION,
          granted,
        }),
      ),
    )
    if (!outcome.ok) {
      if (outcome.error.status === 403 || outcome.error.status === 404) throw outcome.error
      c.status(outcome.error.status)
      return render(c, { error: outcome.message })
    }
    const offer = outcome.value.purge
    if (offer) {
      return render(c, {
        notice: 'privacy.consent.revokedNotice',
        purge: { subject: form.data.subject, subjectId: outcome.value.consent.subjectId },
      })
    }
    return seeOther(c, `/app/privacy?done=${granted ? 'granted' : 'revoked'}`)
  })

  portal.post('/app/privacy/purge', async (c) => {
    const outcome = await attempt(() => portalRun(c, (ctx) => purgeTenantMetrics(ctx)))
    return back(c, outcome, 'purged')
  })

  portal.post('/app/privacy/exports', async (c) => {
    const origin = new URL(c.req.url).origin
    const outcome = await attempt(() => portalRun(c, (ctx) => requestExport(ctx, { origin })))
    return back(c, outcome, 'exported')
  })

  /** The export's status as a fragment for htmx polling; a full page otherwise. Other tenants' ids: 404. */
  portal.get(`/app/privacy/exports/${EXPORT}`, async (c) => {
    const origin = new URL(c.req.url).origin
    const row = await portalRun(c, (ctx) => getExport(ctx, { id: c.req.param('id'), origin }))
    c.header('Cache-Control', 'no-store')
    return c.render(<ExportStatus export={row} />, { title: c.var.i18n.t('privacy.export.title') })
  })

  /** Owner only, after the confirmation step (`confirm=yes` comes from the confirmation form). */
  portal.post('/app/privacy/erasure', async (c) => {
    const form = await readForm(c, z.object({ confirm: z.literal('yes') }))
    if (!form.ok) return seeOther(c, '/app/privacy?erase=confirm#erasure')
    const outcome = await attempt(() => portalRun(c, (ctx) => requestTenantErasure(ctx)))
    return back(c, outcome, 'erasure')
  })
}
