import { z } from 'zod'
import type { App } from '../../env.ts'
import { pageQuery, reauthField, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import {
  cancelErasure,
  confirmErasure,
  listErasureReceipts,
  listErasureRequests,
  scheduleTenantErasure,
} from '../../services/privacy/erasure-requests.ts'
import { listProcessingRecords, processingRecordsCsv } from '../../services/privacy/processing-records.ts'
import { validate } from '../../validator.ts'
import { cancelErasureBody, erasureRequestParam } from './erasure.ts'

const tenantSlug = z.string().min(1).max(48).describe('The tenant’s slug, typed again.')
export const operatorErasureBody = z.object({
  tenant_id: z.string().regex(/^ten_[0-9a-z]{20}$/, 'must be a ten_… id'),
  tenant_slug: tenantSlug,
  reauth: reauthField,
})
export const confirmErasureBody = z.object({ tenant_slug: tenantSlug, reauth: reauthField })
export const receiptsQuery = pageQuery.extend({
  tenant_id: z
    .string()
    .regex(/^ten_[0-9a-z]{20}$/, 'must be a ten_… id')
    .optional(),
})
export const recordsQuery = z.object({ format: z.enum(['json', 'csv']).default('json') })

/** The central's side of privacy: erasure requests (schedule, confirm, cancel) and receipts, records of processing. */
export function registerPrivacyAdmin(app: App) {
  app.get(
    '/api/v1/admin/erasure-requests',
    authenticate,
    permit('operator'),
    validate('query', pageQuery),
    async (c) =>
      c.json(snake(await c.var.caller.run((ctx) => listErasureRequests(ctx, c.req.valid('query'))))),
  )

  /**
   * An operator's own erasure of a tenant (no owner request needed): the tenant named twice and
   * the operator's password. Suspended at once; deleted after the grace period unless canceled.
   */
  app.post(
    '/api/v1/admin/erasure-requests',
    describe({
      summary: 'Schedule the erasure of a tenant (suspended now, deleted after the grace period)',
      responses: { 202: { description: 'The scheduled request, with `scheduled_for`.' } },
    }),
    authenticate,
    permit('operator'),
    validate('json', operatorErasureBody),
    async (c) => {
      const body = c.req.valid('json')
      const request = await c.var.caller.run((ctx) =>
        scheduleTenantErasure(ctx, {
          tenantId: body.tenant_id,
          tenantSlug: body.tenant_slug,
          reauth: body.reauth,
        }),
      )
      return c.json(snake(request), 202)
    },
  )

  /** Confirms an owner's request, with the same proof as an operator's own erasure. */
  app.post(
    '/api/v1/admin/erasure-requests/:id/confirm',
    authenticate,
    permit('operator'),
    validate('param', erasureRequestParam),
    validate('json', confirmErasureBody),
    async (c) => {
      const { id } = c.req.valid('param')
      const body = c.req.valid('json')
      const request = await c.var.caller.run((ctx) =>
        confirmErasure(ctx, id, { tenantSlug: body.tenant_slug, reauth: body.reauth }),
      )
      return c.json(snake(request), 202)
    },
  )

  /** Within the grace period, with a reason: the tenant (or connection) is back as it was. */
  app.post(
    '/api/v1/admin/erasure-requests/:id/cancel',
    describe({
      summary: 'Cancel an erasure within its grace period',
      responses: { 200: { description: 'The canceled request.' } },
    }),
    authenticate,
    permit('operator'),
    validate('param', erasureRequestParam),
    validate('json', cancelErasureBody),
    async (c) => {
      const { id } = c.req.valid('param')
      const { reason } = c.req.valid('json')
      return c.json(snake(await c.var.caller.run((ctx) => cancelErasure(ctx, id, { reason }))))
    },
  )

  app.get(
    '/api/v1/admin/erasure-receipts',
    authenticate,
    permit('operator'),
    validate('query', receiptsQuery),
    async (c) => {
      const query = c.req.valid('query')
      const page = await c.var.caller.run((ctx) =>
        listErasureReceipts(ctx, { limit: query.limit, cursor: query.cursor, tenantId: query.tenant_id }),
      )
      // row_counts is keyed by table name already: passed as stored.
      const data = page.data.map(({ rowCounts, ...receipt }) => ({
        ...snake(receipt),
        row_counts: rowCounts,
      }))
      return c.json({ data, next_cursor: page.nextCursor })
    },
  )

  /** Records of processing (LGPD Art. 37), `?format=csv` for a spreadsheet. */
  app.get(
    '/api/v1/admin/processing-records',
    authenticate,
    permit('operator'),
    validate('query', recordsQuery),
    async (c) => {
      const activities = await c.var.caller.run(async (ctx) => listProcessingRecords(ctx))
      if (c.req.valid('query').format === 'csv') {
        return c.body(processingRecordsCsv(activities), 200, {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': 'attachment; filename="integra-processing-records.csv"',
        })
      }
      return c.json({ data: snake(activities) })
    },
  )
}
