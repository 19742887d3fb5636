import { z } from 'zod'
import type { App } from '../../env.ts'
import { idParam, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { listRuns, readRunFile, releaseRun, skipRun } from '../../services/reports/runs.ts'
import { validate } from '../../validator.ts'
import { reports } from './schedules.ts'

const runsQuery = z.object({
  schedule_id: z
    .string()
    .regex(/^rps_[0-9a-z]{20}$/, 'must be a rps_… id')
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
})

export function registerReportRuns(app: App) {
  const base = '/api/v1/reports/runs'

  app.get(
    base,
    describe({ summary: 'Run history of the scheduled reports, newest first; held runs with their reasons' }),
    authenticate,
    permit('reports.read', reports),
    validate('query', runsQuery),
    async (c) => {
      const query = c.req.valid('query')
      return c.json(
        snake(
          await c.var.caller.run(
            (ctx) => listRuns(ctx, { scheduleId: query.schedule_id, limit: query.limit }),
            reports,
          ),
        ),
      )
    },
  )

  app.get(
    `${base}/:id/file`,
    describe({
      summary: 'Download the PDF of a rendered run',
      responses: { 200: { description: 'The PDF, as an attachment.', contentTypes: ['application/pdf'] } },
    }),
    authenticate,
    permit('reports.read', reports),
    validate('param', idParam('rpr')),
    async (c) => {
      const file = await c.var.caller.run((ctx) => readRunFile(ctx, c.req.valid('param').id), reports)
      return c.body(file.body, 200, {
        'content-type': 'application/pdf',
        'content-length': String(file.size),
        'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.filename)}`,
      })
    },
  )

  app.post(
    `${base}/:id/release`,
    describe({ summary: 'Send a held run to its recipients' }),
    authenticate,
    permit('reports.manage', reports),
    validate('param', idParam('rpr')),
    async (c) =>
      c.json(snake(await c.var.caller.run((ctx) => releaseRun(ctx, c.req.valid('param').id), reports))),
  )

  app.post(
    `${base}/:id/skip`,
    describe({ summary: 'Skip a held run: nobody gets it' }),
    authenticate,
    permit('reports.manage', reports),
    validate('param', idParam('rpr')),
    async (c) =>
      c.json(snake(await c.var.caller.run((ctx) => skipRun(ctx, c.req.valid('param').id), reports))),
  )
}
