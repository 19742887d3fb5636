import type { App } from '../../env.ts'
import { type Snake, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { describe } from '../../openapi/registry.ts'
import { describeTenant } from '../../services/tenant/tenant.ts'

export type TenantResponse = Snake<Awaited<ReturnType<typeof describeTenant>>>

export function registerTenant(app: App) {
  /** The caller's own tenant: license, plan, effective modules, limits and usage. Any tenant role or API key. */
  app.get(
    '/api/v1/tenant',
    describe({
      summary: 'The caller’s tenant: license, plan, modules, limits and usage',
      responses: { 200: { description: 'The tenant.' } },
    }),
    authenticate,
    async (c) => c.json(snake(await c.var.caller.run(describeTenant))),
  )
}
