import type { App } from '../../env.ts'
import { idParam, pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { getExport, listExports, requestExport } from '../../services/privacy/exports.ts'
import { validate } from '../../validator.ts'

export const exportParam = idParam('exp')

/** Portability (LGPD Art. 18 V): an archive of everything the tenant has here, built by a job. */
export function registerExports(app: App) {
  app.post('/api/v1/exports', authenticate, async (c) => {
    const origin = new URL(c.req.url).origin
    return c.json(snake(await c.var.caller.run((ctx) => requestExport(ctx, { origin }))), 202)
  })

  app.get(
    '/api/v1/exports',
    authenticate,
    permit('privacy.manage'),
    validate('query', pageQuery),
    async (c) => c.json(snake(await c.var.caller.run((ctx) => listExports(ctx, c.req.valid('query'))))),
  )

  /** Status and progress; once ready, a signed link valid for 15 minutes (ask again for a new one). */
  app.get(
    '/api/v1/exports/:id',
    authenticate,
    permit('privacy.manage'),
    validate('param', exportParam),
    async (c) => {
      const origin = new URL(c.req.url).origin
      return c.json(
        snake(await c.var.caller.run((ctx) => getExport(ctx, { id: c.req.valid('param').id, origin }))),
      )
    },
  )
}
