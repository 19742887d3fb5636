import { z } from 'zod'
import type { App } from '../../env.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { downloadExport, EXPORT_CONTENT_TYPES, EXPORT_FORMATS } from '../../services/metrics/export.ts'
import { validate } from '../../validator.ts'
import { filterFields, toFilters } from './query.ts'

export const exportQuery = z.object({ ...filterFields, format: z.enum(EXPORT_FORMATS) }).transform(toFilters)

export function registerMetricsExport(app: App) {
  /**
   * The raw points as a streamed CSV (UTF-8 with BOM, RFC 4180) or NDJSON download. Session,
   * license and permission are checked once, in the request's transaction, which also reads the
   * first page; later pages are read through a database handle owned by the stream (see
   * `exportDownload`).
   */
  app.get(
    '/api/v1/metrics/export',
    describe({
      summary: 'Streamed CSV or NDJSON download of the raw points',
      responses: {
        200: {
          description:
            'An attachment named after the tenant and the period, streamed (never buffered whole).',
          contentTypes: Object.values(EXPORT_CONTENT_TYPES).map((type) => type.split(';')[0] as string),
        },
      },
    }),
    authenticate,
    permit('metrics.read', { module: 'metrics' }),
    validate('query', exportQuery),
    async (c) => {
      const { body, headers } = await downloadExport(c.var.caller, c.req.valid('query'))
      return c.body(body, 200, headers)
    },
  )
}
