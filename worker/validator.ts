import { zValidator } from '@hono/zod-validator'
import type { Context, ValidationTargets } from 'hono'
import type { ZodType } from 'zod'
import type { AppEnv } from './env.ts'
import { ApiError } from './errors.ts'
import { confirmPermit } from './middleware/permit.ts'
import { documentValidation } from './openapi/registry.ts'

/**
 * The only validator routes use: zod at the boundary, failures answered with the shared envelope
 * (400 VALIDATION_FAILED) listing each failing field as `target.path`. The middleware carries its
 * target and schema, from which the OpenAPI document is generated (worker/openapi/).
 *
 * Authorization comes before validation: any failure here (fields, unstorable text, a body that
 * is not JSON) first confirms the route's `permit()`, so a caller who may not use the route gets
 * its 401 or 403 and never the field details that would describe the route's schema.
 */
export const validate = <Target extends keyof ValidationTargets, Schema extends ZodType>(
  target: Target,
  schema: Schema,
) => {
  const validator = zValidator(target, schema, (result) => {
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
  })
  const refusingFirst = (async (c, next) => {
    let valid = false
    try {
      return await validator(c, async () => {
        valid = true
        await next()
      })
    } catch (error) {
      // Thrown before `next`: the request is invalid. Errors of later handlers pass untouched.
      if (!valid) await confirmPermit(c as Context<AppEnv>)
      throw error
    }
  }) as typeof validator
  return documentValidation(refusingFirst, { target, schema })
}

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
