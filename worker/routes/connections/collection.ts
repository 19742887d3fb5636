import { z } from 'zod'
import { CONNECTION_STATUSES, PLATFORMS } from '../../../db/schema/index.ts'
import { dateTimeField } from '../../dates.ts'
import type { App } from '../../env.ts'
import { pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import {
  connectWithToken,
  listConnections,
  type RegisterInput,
} from '../../services/connections/connections.ts'
import { validate } from '../../validator.ts'

/**
 * A platform token goes into an Authorization header: whitespace or control characters inside
 * one would make the platform call throw (answered as a 503 "platform unavailable"), so they are
 * refused here; the surrounding whitespace of a pasted token is trimmed.
 */
export const platformToken = z
  .string()
  .trim()
  .min(8)
  .max(4096)
  .regex(/^[\x21-\x7e]+$/, 'Printable ASCII without spaces.')

export const registerConnectionBody = z.object({
  platform: z.enum(PLATFORMS),
  external_account_id: z.string().trim().min(1).max(100),
  access_token: platformToken,
  refresh_token: platformToken.optional(),
  expires_at: dateTimeField.optional(),
  label: z.string().trim().min(1).max(100).optional(),
})

export const listConnectionsQuery = pageQuery.extend({ status: z.enum(CONNECTION_STATUSES).optional() })

export function registerConnectionCollection(app: App) {
  /**
   * The register-token flow: the token is checked with the platform before anything is stored;
   * 201 with the connection (never the token) and a 90-day backfill queued.
   */
  app.post(
    '/api/v1/connections',
    describe({
      summary: 'Connect an account with its access token',
      responses: { 201: { description: 'The connection (never its tokens); a 90-day backfill is queued.' } },
    }),
    authenticate,
    permit('connections.manage', { module: 'metrics' }),
    validate('json', registerConnectionBody),
    async (c) => {
      const body = c.req.valid('json')
      const input: RegisterInput = {
        platform: body.platform,
        externalAccountId: body.external_account_id,
        accessToken: body.access_token,
        refreshToken: body.refresh_token,
        expiresAt: body.expires_at ? new Date(body.expires_at) : undefined,
        label: body.label,
      }
      return c.json(snake(await connectWithToken(c.var.caller, input)), 201)
    },
  )

  app.get(
    '/api/v1/connections',
    describe({
      summary: 'List connections',
      responses: { 200: { description: '`{ data, next_cursor }`.' } },
    }),
    authenticate,
    permit('connections.read', { module: 'metrics' }),
    validate('query', listConnectionsQuery),
    async (c) => {
      const page = await c.var.caller.run((ctx) => listConnections(ctx, c.req.valid('query')), {
        module: 'metrics',
      })
      return c.json(snake(page))
    },
  )
}
