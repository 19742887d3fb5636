import { z } from 'zod'
import { ERROR_CODES, type ErrorEnvelope } from '../errors.ts'

/** The one error envelope of the API (worker/errors.ts), as every operation's error response. */
export const errorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES).meta({
        description: 'Stable, machine-readable; every code the API uses is listed.',
        examples: ['VALIDATION_FAILED'],
      }),
      message: z.string().meta({ description: 'For people; may change.' }),
      requestId: z.string().meta({ description: 'Also in the X-Request-Id header; quote it to support.' }),
      fields: z
        .array(
          z.object({
            path: z.string().meta({ description: '`target.field`, e.g. `query.from` or `json.email`' }),
            message: z.string(),
          }),
        )
        .optional()
        .meta({ description: 'With VALIDATION_FAILED: each failing field.' }),
      details: z.record(z.string(), z.unknown()).optional().meta({
        description:
          'What to do next, as data: with PRICE_CHANGED the recomputed amounts to show and send again; with WINDOW_CLOSED the approved `templates`; with SLOT_TAKEN the `next_slots`.',
      }),
    }),
  })
  .meta({ title: 'Error' })

// The schema above documents ErrorEnvelope: the compiler keeps the two the same shape.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const envelopeMatches: Same<z.output<typeof errorEnvelopeSchema>, ErrorEnvelope> = true
void envelopeMatches

/** Both credentials travel as `Authorization: Bearer …`; `authenticate` tells them apart. */
export const securitySchemes = {
  accessToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'A 15-minute access token from `POST /api/v1/auth/login` (or `/auth/refresh`), for operators and tenant members.',
  },
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'ik_…',
    description:
      'A tenant API key (`ik_…`), created by an owner or admin; machine clients only, never allowed to manage people or keys.',
  },
} as const

const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } }

/** Reusable error responses, referenced by every operation (`default` by all). */
export const errorResponses = {
  ValidationFailed: {
    description:
      'VALIDATION_FAILED (each failing field listed in `fields`), MALFORMED_JSON or another bad request.',
    content: errorContent,
  },
  Unauthenticated: {
    description: 'UNAUTHENTICATED: no valid access token or API key.',
    headers: { 'WWW-Authenticate': { schema: { type: 'string' } } },
    content: errorContent,
  },
  RateLimited: {
    description: 'RATE_LIMITED: too many requests from this caller; retry after the given seconds.',
    headers: { 'Retry-After': { schema: { type: 'integer' } } },
    content: errorContent,
  },
  Error: {
    description:
      'Any other error, in the same envelope: FORBIDDEN, NOT_FOUND, CONFLICT-like codes, 503 DATABASE_UNAVAILABLE…',
    content: errorContent,
  },
} as const
