import { and, eq } from 'drizzle-orm'
import { users } from '../../../db/schema/index.ts'
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
