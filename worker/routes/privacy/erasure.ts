import { z } from 'zod'
import type { App } from '../../app.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { runAs } from '../../services/context.ts'
import {
  eraseConnection,
  listOwnErasureRequests,
  requestTenantErasure,
} from '../../services/privacy/erasure.ts'
import { validate } from '../../validator.ts'

export const erasureBody = z.discriminatedUnion('scope', [
  z.object({ scope: z.literal('tenant') }),
  z.object({
    scope: z.literal('connection'),
    connection_id: z.string().regex(/^con_[0-9a-z]{20}$/, 'must be a con_… id'),
  }),
])

/**
 * Erasure (LGPD Art. 18 VI). A connection is erased at once (owner or admin) and answered with
 * its receipt; the whole tenant is requested by the owner and carried out once an operator
 * confirms it.
 */
export function registerErasure(app: App) {
  app.post('/api/v1/erasure-requests', authenticate, validate('json', erasureBody), async (c) => {
    const body = c.req.valid('json')
    if (body.scope === 'connection') {
      const receipt = await runAs(c, (ctx) => eraseConnection(ctx, body.connection_id))
      return c.json(snake({ status: 'completed', receipt }), 201)
    }
    const request = await runAs(c, requestTenantErasure)
    return c.json(snake(request), 202)
  })

  app.get('/api/v1/erasure-requests', authenticate, async (c) =>
    c.json({ data: snake(await runAs(c, listOwnErasureRequests)) }),
  )
}
