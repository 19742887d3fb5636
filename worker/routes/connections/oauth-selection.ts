import { z } from 'zod'
import type { App } from '../../app.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { connectGrantedAccounts, openSelection } from '../../services/connections/oauth.ts'
import { runAs } from '../../services/context.ts'
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
    validate('param', selectionParam),
    validate('json', selectionBody),
    async (c) => {
      const { id } = c.req.valid('param')
      const ids = [...new Set(c.req.valid('json').external_account_ids)]
      const selection = await runAs(c, (ctx) => openSelection(ctx, id, ids), { module: 'metrics' })
      const result = await connectGrantedAccounts(c, selection.platform, selection.accounts, {
        selectionId: id,
      })
      return c.json(snake(result), result.created.length > 0 ? 201 : 200)
    },
  )
}
