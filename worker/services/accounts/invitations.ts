import { and, eq } from 'drizzle-orm'
import { tenants, users } from '../../../db/schema/index.ts'
import { hashPassword } from '../../auth/password.ts'
import type { RequestMeta } from '../../auth/principal.ts'
import { ApiError } from '../../errors.ts'
import type { Services } from '../../runtime/ports.ts'
import { writeAudit } from '../audit.ts'
import { consumeAccountToken, invalidAccountToken } from './tokens.ts'

/**
 * The password of an invited member until they accept: not a hash any password can match
 * (`verifyPassword` refuses what it cannot parse), so an invited member cannot sign in.
 */
export const NO_PASSWORD = '!invited'

/** Where an invitation link points: the members' portal page that takes the token. */
export const invitationLink = (origin: string, token: string) =>
  `${origin}/app/invitation?token=${encodeURIComponent(token)}`

/**
 * `POST /auth/invitations/accept`: the link's token (single use, 7 days) sets the invited member's
 * password and makes them active. Answers their e-mail, for the caller to sign them in through the
 * login service (its rate limit, audit and session rules).
 */
export async function acceptInvitation(
  services: Services,
  meta: RequestMeta,
  input: { token: string; password: string },
): Promise<{ email: string }> {
  // Hash before the transaction: the slow part should hold no row lock.
  const passwordHash = await hashPassword(input.password)
  return services.db.transaction(async (tx) => {
    const now = new Date()
    const { tenantId, userId } = await consumeAccountToken(tx, input.token, 'invitation', now)
    const [tenant] = await tx.select({ status: tenants.status }).from(tenants).where(eq(tenants.id, tenantId))
    if (tenant?.status !== 'active') {
      throw new ApiError(403, 'TENANT_SUSPENDED', 'This account is suspended; contact your account manager.')
    }
    const [user] = await tx
      .update(users)
      .set({
        passwordHash,
        passwordChangedAt: now,
        status: 'active',
        mustChangePassword: false,
        updatedAt: now,
      })
      .where(and(eq(users.id, userId), eq(users.tenantId, tenantId), eq(users.status, 'invited')))
      .returning({ email: users.email })
    if (!user) throw invalidAccountToken()
    await writeAudit(tx, { type: 'member', id: userId }, meta, {
      action: 'user.invitation_accepted',
      tenantId,
      target: { type: 'member', id: userId },
    })
    return { email: user.email }
  })
}
