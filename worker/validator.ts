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
    }),
    { target, schema },
  )
