import type { App } from '../../env.ts'
import { idParam, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { eraseSchedulingCustomer } from '../../services/scheduling/erasure.ts'
import { validate } from '../../validator.ts'
import { scheduling } from './fields.ts'

export function registerSchedulingCustomers(app: App) {
  /** One customer's erasure from the module (LGPD): people with privacy.manage, not keys. */
  app.post(
    '/api/v1/scheduling/customers/:id/erasure',
    describe({ summary: 'Erase one customer from scheduling: appointments anonymized, times kept' }),
    authenticate,
    permit('privacy.manage', scheduling),
    validate('param', idParam('cus')),
    async (c) => {
      const erased = await c.var.caller.run(
        (ctx) => eraseSchedulingCustomer(ctx, c.req.valid('param').id),
        scheduling,
      )
      return c.json(snake(erased))
    },
  )
}
