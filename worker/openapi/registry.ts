import type { MiddlewareHandler, ValidationTargets } from 'hono'
import type { ZodType } from 'zod'

/** What one `validate(target, schema)` middleware checks: the OpenAPI document reads it back. */
export type Validation = { target: keyof ValidationTargets; schema: ZodType }

/** One documented response: a zod schema when the route has one, else only its description. */
export type ResponseDoc = {
  description: string
  schema?: ZodType
  /** `application/json` unless given (the CSV export, the plain-text handshake). */
  contentTypes?: readonly string[]
}

/** The prose and response shapes of one operation; everything else is derived from the route. */
export type RouteDoc = {
  summary?: string
  description?: string
  tags?: readonly string[]
  responses?: Readonly<Record<number, ResponseDoc>>
}

// Keyed by the middleware function itself: Hono lists every handler of a route in `app.routes`,
// so the document finds these by identity, with nothing registered twice.
const validations = new WeakMap<object, Validation>()
const docs = new WeakMap<object, RouteDoc>()

/** Marks a validator middleware with the schema it validates (used by `validate()`). */
export function documentValidation<M extends object>(middleware: M, validation: Validation): M {
  validations.set(middleware, validation)
  return middleware
}

/**
 * A middleware that does nothing but document its route (summary, tags, responses) in the
 * OpenAPI document. Routes without it are still listed, with what their validators say.
 */
export function describe(doc: RouteDoc): MiddlewareHandler {
  const middleware: MiddlewareHandler = async (_c, next) => {
    await next()
  }
  docs.set(middleware, doc)
  return middleware
}

export const validationOf = (handler: object): Validation | undefined => validations.get(handler)
export const docOf = (handler: object): RouteDoc | undefined => docs.get(handler)
