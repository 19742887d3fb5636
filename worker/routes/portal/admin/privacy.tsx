import type { MessageKey } from '../../../../portal/i18n/index.ts'
import { ErasureRequestsPage, ProcessingRecordsPage } from '../../../../portal/pages/admin/privacy.tsx'
import { confirmErasure, listErasureRequests } from '../../../services/privacy/erasure.ts'
import { listProcessingRecords, processingRecordsCsv } from '../../../services/privacy/processing-records.ts'
import type { PortalApp } from '../index.ts'
import { actThenBack, errorFromQuery, portalRun } from '../run.ts'

const REQUEST = ':id{era_[0-9a-z]{20}}'
const NOTICES: Record<string, MessageKey> = { confirmed: 'adminPrivacy.erasure.confirmedNotice' }

/**
 * The central's privacy pages (signed-in operators, like all of /admin): erasure requests with the
 * same confirm verb as POST /api/v1/admin/erasure-requests/:id/confirm, and records of processing.
 */
export function registerPortalAdminPrivacy(portal: PortalApp) {
  portal.get('/admin/privacy/erasure-requests', async (c) => {
    const cursor = c.req.query('cursor') || undefined
    const page = await portalRun(c, (ctx) => listErasureRequests(ctx, { limit: 50, cursor }))
    return c.render(
      <ErasureRequestsPage
        rows={page.data}
        nextHref={
          page.nextCursor
            ? `/admin/privacy/erasure-requests?${new URLSearchParams({ cursor: page.nextCursor })}`
            : null
        }
        notice={NOTICES[c.req.query('done') ?? '']}
        error={errorFromQuery(c)}
      />,
      { title: c.var.i18n.t('nav.erasure') },
    )
  })

  portal.post(`/admin/privacy/erasure-requests/${REQUEST}/confirm`, (c) =>
    actThenBack(c, '/admin/privacy/erasure-requests', 'confirmed', () =>
      portalRun(c, (ctx) => confirmErasure(ctx, c.req.param('id'))),
    ),
  )

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
