import { z } from 'zod'
import type { App } from '../../app.ts'
import { login } from '../../services/auth/login.ts'
import { requestMeta } from '../../services/context.ts'
import { validate } from '../../validator.ts'

export const loginBody = z.object({
  email: z.string().trim().min(3).max(254),
  password: z.string().min(1).max(1024),
})

export function registerLogin(app: App) {
  /** Password login for operators and tenant members; answers an access/refresh token pair. */
  app.post('/api/v1/auth/login', validate('json', loginBody), async (c) => {
    const pair = await login(c.get('services'), requestMeta(c), c.req.valid('json'))
    return c.json(pair, 200, { 'Cache-Control': 'no-store' })
  })
}
