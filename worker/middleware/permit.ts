import type { Context, MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { Module } from '../../db/schema/index.ts'
import { authorizeRequirement, type Permit, type Requirement } from '../auth/permissions.ts'
import type { AppEnv } from '../env.ts'

// Keyed by the middleware itself, as the OpenAPI registry keys validators: the route list in
// `app.routes` is enough for a test to find every route's declaration.
const declarations = new WeakMap<object, Permit>()

/**
 * Declares, before the route's validators, what the caller must hold: the permission the route's
 * service verb checks (or `'operator'`, or `'person'` for a signed-in person; a list when the verb
 * checks several, in the verb's order) and the module its license must grant. It changes nothing
 * for a valid request, whose verb stays the authority and checks inside its own transaction; it
 * lets `validate()` refuse a caller who may not use the route (401, 403) before answering 400
 * with field details, so a route's schema is never shown to a caller who may not call it.
 */
export function permit(
  requirement: Requirement | readonly Requirement[],
  options: { module?: Module; allowRestricted?: boolean } = {},
): MiddlewareHandler<AppEnv> {
  const declaration: Permit = {
    requirements: typeof requirement === 'string' ? [requirement] : requirement,
    ...(options.module ? { module: options.module } : {}),
    ...(options.allowRestricted ? { allowRestricted: true } : {}),
  }
  const middleware = createMiddleware<AppEnv>(async (c, next) => {
    c.set('permit', declaration)
    await next()
  })
  declarations.set(middleware, declaration)
  return middleware
}

/** The declaration a route handler carries, if it is a `permit()` middleware. */
export const permitOf = (handler: object): Permit | undefined => declarations.get(handler)

/**
 * Confirms the route's declaration as its verb would, with the same answers: 401 for an ended
 * session or a bad key, 403 LICENSE_INACTIVE / MODULE_DISABLED, then 403 FORBIDDEN or
 * NOT_A_SESSION. Called only on the way to a 400, so valid requests pay no extra round trip.
 */
export async function confirmPermit(c: Context<AppEnv>): Promise<void> {
  const declaration = c.get('permit')
  if (!declaration) return
  await c.var.caller.run(
    async ({ principal }) => {
      for (const requirement of declaration.requirements) authorizeRequirement(principal, requirement)
    },
    { module: declaration.module, allowRestricted: declaration.allowRestricted },
  )
}
