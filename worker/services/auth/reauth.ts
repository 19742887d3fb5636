import { eq } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { operators, users } from '../../../db/schema/index.ts'
import { verifyPassword } from '../../auth/password.ts'
import type { Principal } from '../../auth/principal.ts'
import { ApiError, invalidField } from '../../errors.ts'

/**
 * What a person types again to prove it is them before an act that cannot easily be taken back
 * (the `reauth` field of such a request). The password only: asking a person who has two-factor
 * sign-in on for a code here too is not done yet (issue 20); it would be checked here, so no
 * route changes.
 */
export type Reauth = { password: string }

/**
 * Checks the signed-in person's password again, so a stolen or unattended session alone cannot
 * erase anything. API keys have no password and are refused. The answer for a wrong password is
 * the password change's (400 WRONG_PASSWORD on the field), not a 401: the session itself is fine.
 */
export async function reauthenticate(
  tx: Tx,
  principal: Principal,
  reauth: Reauth | undefined,
  path = 'json.reauth.password',
): Promise<void> {
  if (principal.kind === 'api_key') throw new ApiError(403, 'FORBIDDEN', 'This action needs a person.')
  if (!reauth) throw invalidField(path, 'required: type your password again')
  const table = principal.kind === 'operator' ? operators : users
  const [row] = await tx
    .select({ passwordHash: table.passwordHash })
    .from(table)
    .where(eq(table.id, principal.id))
  if (!row || !(await verifyPassword(reauth.password, row.passwordHash)).ok) {
    throw new ApiError(400, 'WRONG_PASSWORD', 'The password is incorrect.', {
      fields: [{ path, message: 'incorrect' }],
    })
  }
}
