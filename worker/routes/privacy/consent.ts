import { z } from 'zod'
import type { App } from '../../env.ts'
import { pageQuery, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { listConsents, recordConsent } from '../../services/privacy/consent.ts'
import { CONSENT_PURPOSES } from '../../services/privacy/processing-records.ts'
import { validate } from '../../validator.ts'

export const consentBody = z.object({
  subject: z.enum(['tenant', 'connection']),
  /** The connection's `con_…` id; for the tenant it may be omitted (or be the own tenant id). */
  subject_id: z.string().min(1).max(64).optional(),
  purpose: z.enum(CONSENT_PURPOSES),
  /** The version of the privacy policy the person saw, e.g. `2026-11`. */
  policy_version: z.string().trim().min(1).max(32),
  granted: z.boolean(),
})

export const consentQuery = pageQuery.extend({
  subject: z.enum(['tenant', 'connection']).optional(),
  subject_id: z.string().min(1).max(64).optional(),
  purpose: z.enum(CONSENT_PURPOSES).optional(),
})

/** Consent records (LGPD Art. 8): append-only; the latest per subject and purpose is in force. */
export function registerConsent(app: App) {
  app.post(
    '/api/v1/consent',
    authenticate,
    permit('privacy.manage'),
    validate('json', consentBody),
    async (c) => {
      const body = c.req.valid('json')
      const result = await c.var.caller.run((ctx) =>
        recordConsent(ctx, {
          subject: body.subject,
          subjectId: body.subject_id,
          purpose: body.purpose,
          policyVersion: body.policy_version,
          granted: body.granted,
        }),
      )
      return c.json(snake(result), 201)
    },
  )

  /** The current state per subject and purpose, and the history newest first (paged). */
  app.get(
    '/api/v1/consent',
    authenticate,
    permit('privacy.manage'),
    validate('query', consentQuery),
    async (c) => {
      const query = c.req.valid('query')
      const result = await c.var.caller.run((ctx) =>
        listConsents(ctx, {
          limit: query.limit,
          cursor: query.cursor,
          subject: query.subject,
          subjectId: query.subject_id,
          purpose: query.purpose,
        }),
      )
      return c.json(snake(result))
    },
  )
}
