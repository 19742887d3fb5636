import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { connectSelection } from '../../services/connections/oauth/connect.ts'
import { validate } from '../../validator.ts'

export const selectionParam = z.object({ id: z.uuid() })
export const selectionBody = z.object({
  external_account_ids: z.array(z.string().trim().min(1).max(100)).min(1).max(50),
})

export function registerConnectionOAuthSelection(app: App) {
  /**
   * The accounts picked from what a Facebook Login granted (pages, WhatsApp business accounts):
   * each is connected as a new connection, or reconnected if the tenant already has it.
   */
  app.post(
    '/api/v1/connections/oauth/selections/:id',
    authenticate,
    permit(['connections.manage', 'person'], { module: 'metrics' }),
    validate('param', selectionParam),
    validate('json', selectionBody),
    async (c) => {
      const { id } = c.req.valid('param')
      const ids = [...new Set(c.req.valid('json').external_account_ids)]
      const result = await connectSelection(c.var.caller, id, ids)
      return c.json(snake(result), result.created.length > 0 ? 201 : 200)
    },
  )
}
