import { and, eq } from 'drizzle-orm'
import { operators, users } from '../../../db/schema/index.ts'
import { ApiError } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'

/** The languages the portals speak; `users.locale` holds one of them or null (follow the browser). */
export const USER_LOCALES = ['pt-BR', 'en'] as const
export type UserLocale = (typeof USER_LOCALES)[number]

/**
 * Saves the signed-in member's language for the portal (null: follow the browser again).
 * Operators have no such column; their choice lives in a cookie.
 */
export async function setMyLocale(ctx: ServiceContext, locale: UserLocale | null): Promise<void> {
  const { tx, principal, meta } = ctx
  if (principal.kind !== 'member') {
    throw new ApiError(400, 'NOT_A_MEMBER', 'Only members of a tenant have a saved language.')
  }
  const [before] = await tx
    .select({ locale: users.locale })
    .from(users)
    .where(and(eq(users.id, principal.id), eq(users.tenantId, principal.tenantId)))
  if (!before || before.locale === locale) return
  await tx
    .update(users)
    .set({ locale, updatedAt: ctx.now })
    .where(and(eq(users.id, principal.id), eq(users.tenantId, principal.tenantId)))
  await writeAudit(tx, actorOf(principal), meta, {
    action: 'user.locale_changed',
    tenantId: principal.tenantId,
    target: { type: 'member', id: principal.id },
    data: { from: before.locale, to: locale },
  })
}

/**
 * Saves the signed-in person's time zone for times on screen (null: follow the tenant's zone, or
 * São Paulo for operators). `zone` was checked at the boundary (worker/dates.ts timeZoneField).
 */
export async function setMyTimeZone(ctx: ServiceContext, zone: string | null): Promise<void> {
  const { tx, principal, meta } = ctx
  if (principal.kind !== 'member' && principal.kind !== 'operator') {
    throw new ApiError(400, 'NOT_A_SESSION', 'Only a signed-in person has a time zone.')
  }
  const table = principal.kind === 'member' ? users : operators
  // A member's row is found by id and tenant (row-level security checks the tenant again).
  const mine =
    principal.kind === 'member'
      ? and(eq(users.id, principal.id), eq(users.tenantId, principal.tenantId))
      : eq(operators.id, principal.id)
  const [before] = await tx.select({ zone: table.timeZone }).from(table).where(mine)
  if (!before || before.zone === zone) return
  await tx.update(table).set({ timeZone: zone, updatedAt: ctx.now }).where(mine)
  await writeAudit(tx, actorOf(principal), meta, {
    action: 'user.time_zone_changed',
    tenantId: principal.tenantId,
    target: { type: principal.kind, id: principal.id },
    data: { from: before.zone, to: zone },
  })
}
