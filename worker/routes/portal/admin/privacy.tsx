import { z } from 'zod'
import type { MessageKey } from '../../../../portal/i18n/index.ts'
import { ErasureRequestsPage, ProcessingRecordsPage } from '../../../../portal/pages/admin/privacy.tsx'
import { ApiError } from '../../../errors.ts'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { memberTimeZone } from '../../../middleware/portal-locale.ts'
import {
  cancelErasure,
  confirmErasure,
  listErasureRequests,
} from '../../../services/privacy/erasure-requests.ts'
import { listProcessingRecords, processingRecordsCsv } from '../../../services/privacy/processing-records.ts'
import { readForm } from '../forms.ts'
import { actThenBack, errorFromQuery, portalRun } from '../run.ts'

const REQUEST = ':id{era_[0-9a-z]{20}}'
const LIST = '/admin/privacy/erasure-requests'
const NOTICES: Record<string, MessageKey> = {
  confirmed: 'adminPrivacy.erasure.confirmedNotice',
  canceled: 'adminPrivacy.erasure.canceledNotice',
}

const confirmForm = z.object({ tenant_slug: z.string().min(1).max(48), password: z.string().min(1).max(256) })
const cancelForm = z.object({ reason: z.string().trim().min(3).max(500) })
const invalidForm = () => new ApiError(400, 'VALIDATION_FAILED', 'The request has invalid fields.')

/**
 * The central's privacy pages (signed-in operators, like all of /admin): erasure requests with the
 * same verbs as POST /api/v1/admin/erasure-requests/:id/confirm and …/cancel, and records of processing.
 */
export function registerPortalAdminPrivacy(portal: PortalApp) {
  portal.get(LIST, async (c) => {
    const cursor = c.req.query('cursor') || undefined
    const { page, now } = await portalRun(c, async (ctx) => ({
      page: await listErasureRequests(ctx, { limit: 50, cursor }),
      now: ctx.now,
    }))
    return c.render(
      <ErasureRequestsPage
        rows={page.data}
        nextHref={page.nextCursor ? `${LIST}?${new URLSearchParams({ cursor: page.nextCursor })}` : null}
        now={now}
        timeZone={memberTimeZone(c)}
        graceDays={c.var.caller.services.config.ERASURE_GRACE_DAYS}
        notice={NOTICES[c.req.query('done') ?? '']}
        error={errorFromQuery(c)}
      />,
      { title: c.var.i18n.t('nav.erasure') },
    )
  })

  portal.post(`${LIST}/${REQUEST}/confirm`, async (c) => {
    const form = await readForm(c, confirmForm)
    return actThenBack(c, LIST, 'confirmed', () => {
      if (!form.ok) throw invalidForm()
      const { tenant_slug, password } = form.data
      return portalRun(c, (ctx) =>
        confirmErasure(ctx, c.req.param('id'), { tenantSlug: tenant_slug, reauth: { password } }),
      )
    })
  })

  portal.post(`${LIST}/${REQUEST}/cancel`, async (c) => {
    const form = await readForm(c, cancelForm)
    return actThenBack(c, LIST, 'canceled', () => {
      if (!form.ok) throw invalidForm()
      const { reason } = form.data
      return portalRun(c, (ctx) => cancelErasure(ctx, c.req.param('id'), { reason }))
    })
  })

  portal.get('/admin/privacy/processing-records', async (c) => {
    const rows = await portalRun(c, async (ctx) => listProcessingRecords(ctx))
    return c.render(<ProcessingRecordsPage rows={rows} />, { title: c.var.i18n.t('nav.processing') })
  })

  /** The same CSV as GET /api/v1/admin/processing-records?format=csv, with the portal's session cookie. */
  portal.get('/admin/privacy/processing-records.csv', async (c) => {
    const rows = await portalRun(c, async (ctx) => listProcessingRecords(ctx))
    return c.body(processingRecordsCsv(rows), 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': 'attachment; filename="integra-processing-records.csv"',
    })
  })
}
