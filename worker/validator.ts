import { zValidator } from '@hono/zod-validator'
import type { ValidationTargets } from 'hono'
import type { ZodType } from 'zod'
import { ApiError } from './errors.ts'
import { documentValidation } from './openapi/registry.ts'

/**
 * The only validator routes use: zod at the boundary, failures answered with the shared envelope
 * (400 VALIDATION_FAILED) listing each failing field as `target.path`. The middleware carries its
 * target and schema, from which the OpenAPI document is generated (worker/openapi/).
 */
export const validate = <Target extends keyof ValidationTargets, Schema extends ZodType>(
  target: Target,
  schema: Schema,
) =>
  documentValidation(
    zValidator(target, schema, (result) => {
      if (!result.success) {
        throw new ApiError(400, 'VALIDATION_FAILED', 'The request has invalid fields.', {
          fields: result.error.issues.map((issue) => ({
            path: [target, ...issue.path.map(String)].join('.'),
            message: issue.message,
          })),
        })
      }
      const path = unstorableTextPath(result.data)
      if (path) {
        throw new ApiError(400, 'VALIDATION_FAILED', 'The request has invalid fields.', {
          fields: [
            {
              path: [target, ...path].join('.'),
              message: 'Contains a NUL character or an unpaired surrogate, which cannot be stored as text.',
            },
          ],
        })
      }
    }),
    { target, schema },
  )

/**
 * The path of the first string Postgres cannot store (text refuses NUL, jsonb refuses unpaired
 * surrogates), so such input is a 400 at the boundary instead of a driver error (500) in a write.
 */
export function unstorableTextPath(value: unknown, path: string[] = []): string[] | undefined {
  if (typeof value === 'string') return value.includes('\u0000') || !value.isWellFormed() ? path : undefined
  if (value === null || typeof value !== 'object') return undefined
  for (const [key, inner] of Object.entries(value)) {
    const found = unstorableTextPath(inner, [...path, key])
    if (found) return found
  }
  return undefined
}
