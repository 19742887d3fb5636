import { z } from 'zod'
import type { App } from '../../app.ts'
import { idParam, pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { runAs } from '../../services/context.ts'
import {
  confirmErasure,
  eraseTenantByOperator,
  listErasureReceipts,
  listErasureRequests,
} from '../../services/privacy/erasure.ts'
import { listProcessingRecords, processingRecordsCsv } from '../../services/privacy/processing-records.ts'
import { validate } from '../../validator.ts'

export const erasureRequestParam = idParam('era')
export const operatorErasureBody = z.object({
  tenant_id: z.string().regex(/^ten_[0-9a-z]{20}$/, 'must be a ten_… id'),
})
export const receiptsQuery = pageQuery.extend({
  tenant_id: z
    .string()
    .regex(/^ten_[0-9a-z]{20}$/, 'must be a ten_… id')
    .optional(),
})
export const recordsQuery = z.object({ format: z.enum(['json', 'csv']).default('json') })

/** The central's side of privacy: erasure confirmation and receipts, records of processing. */
export function registerPrivacyAdmin(app: App) {
  app.get('/api/v1/admin/erasure-requests', authenticate, validate('query', pageQuery), async (c) =>
    c.json(snake(await runAs(c, (ctx) => listErasureRequests(ctx, c.req.valid('query'))))),
  )

  /** An operator's own erasure of a tenant (no owner request needed): starts at once. */
  app.post(
    '/api/v1/admin/erasure-requests',
    authenticate,
    validate('json', operatorErasureBody),
    async (c) => {
      const tenantId = c.req.valid('json').tenant_id
      return c.json(snake(await runAs(c, (ctx) => eraseTenantByOperator(ctx, { tenantId }))), 202)
    },
  )

  app.post(
    '/api/v1/admin/erasure-requests/:id/confirm',
    authenticate,
    validate('param', erasureRequestParam),
    async (c) => c.json(snake(await runAs(c, (ctx) => confirmErasure(ctx, c.req.valid('param').id))), 202),
  )

  app.get('/api/v1/admin/erasure-receipts', authenticate, validate('query', receiptsQuery), async (c) => {
    const query = c.req.valid('query')
    const page = await runAs(c, (ctx) =>
      listErasureReceipts(ctx, { limit: query.limit, cursor: query.cursor, tenantId: query.tenant_id }),
    )
    // row_counts is keyed by table name already: passed as stored.
    const data = page.data.map(({ rowCounts, ...receipt }) => ({ ...snake(receipt), row_counts: rowCounts }))
    return c.json({ data, next_cursor: page.nextCursor })
  })

  /** Records of processing (LGPD Art. 37), `?format=csv` for a spreadsheet. */
  app.get('/api/v1/admin/processing-records', authenticate, validate('query', recordsQuery), async (c) => {
    const activities = await runAs(c, async (ctx) => listProcessingRecords(ctx))
    if (c.req.valid('query').format === 'csv') {
      return c.body(processingRecordsCsv(activities), 200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': 'attachment; filename="integra-processing-records.csv"',
      })
    }
    return c.json({ data: snake(activities) })
  })
}
