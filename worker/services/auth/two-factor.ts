import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { operators, recoveryCodes, sessions, tenants, users } from '../../../db/schema/index.ts'
import { authorize, authorizePerson } from '../../auth/permissions.ts'
import { sha256Hex } from '../../auth/tokens.ts'
import { base32Decode, base32Encode, newTotpSecret, otpauthUri, verifyTotp } from '../../auth/totp.ts'
import type { Config } from '../../config.ts'
import { ApiError } from '../../errors.ts'
import type { Services } from '../../runtime/ports.ts'
import { type RowSecretRef, Vault } from '../../vault/vault.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { Caller } from '../caller.ts'
import type { ServiceContext } from '../context.ts'
import { accountKeyOf, recordAttempt, refuseWhenLocked } from './attempts.ts'
import { reauthenticate } from './reauth.ts'

/**
 * Two-factor sign-in (issue 20): enrolment, confirmation, recovery codes, turning it off, the
 * tenant owner's requirement, and the code check login's second step uses (login.ts). The TOTP
 * arithmetic is `worker/auth/totp.ts`; the secret is vault ciphertext in the person's own row.
 */

export const RECOVERY_CODE_COUNT = 10
/** What an authenticator app shows: six digits, sometimes typed with a space in the middle. */
const APP_CODE = /^\d{3}\s?\d{3}$/

/** Who has (or may have) a second factor: an operator, or a member of one tenant. */
export type Person = { kind: 'operator' | 'member'; id: string; tenantId: string | null }

const tableOf = (kind: Person['kind']) => (kind === 'operator' ? operators : users)
const secretRef = (person: Person): RowSecretRef => ({
  tenantId: person.tenantId,
  ownerId: person.id,
  purpose: 'totp_secret',
})
const vaultOf = (tx: Tx, services: Services) =>
  new Vault(tx, services.tokens, services.config.VAULT_MASTER_KEYS)
const personOf = (principal: ServiceContext['principal']): Person => {
  authorizePerson(principal)
  return { kind: principal.kind, id: principal.id, tenantId: principal.tenantId }
}

const sessionOf = (ctx: ServiceContext) => (ctx.principal.kind === 'api_key' ? '' : ctx.principal.sessionId)

export const invalidCode = () =>
  new ApiError(400, 'INVALID_CODE', 'The code is not valid (or was already used).', {
    fields: [{ path: 'json.code', message: 'incorrect' }],
  })

/**
 * Operators must sign in with a second factor. Production requires it whatever is configured
 * unless `OPERATOR_TOTP=optional` says otherwise; the local stack and the test suite
 * (`APP_ENV` development/test) default to optional so their fixture operators sign in with a
 * password, and tests of the requirement set `OPERATOR_TOTP=required`.
 */
export const operatorTotpRequired = (config: Pick<Config, 'APP_ENV' | 'OPERATOR_TOTP'>): boolean =>
  (config.OPERATOR_TOTP ?? (config.APP_ENV === 'production' ? 'required' : 'optional')) === 'required'

/** Whether a person must have a second factor: operators (above), members when their owner requires it. */
export async function secondFactorRequired(tx: Tx, config: Config, person: Person): Promise<boolean> {
  if (person.kind === 'operator') return operatorTotpRequired(config)
  const [tenant] = await tx
    .select({ requireTotp: tenants.requireTotp })
    .from(tenants)
    .where(eq(tenants.id, person.tenantId ?? ''))
  return tenant?.requireTotp === true
}

/** The person's row as two-factor needs it. */
async function factorRow(tx: Tx, person: Person) {
  const table = tableOf(person.kind)
  const [row] = await tx
    .select({
      email: table.email,
      status: table.status,
      totpSecret: table.totpSecret,
      totpEnabledAt: table.totpEnabledAt,
      totpLastStep: table.totpLastStep,
    })
    .from(table)
    .where(eq(table.id, person.id))
  return row
}

/** Recovery codes: 10 Crockford base32 characters (50 random bits) shown as `xxxxx-xxxxx`. */
const CODE_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'
function newRecoveryCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10))
  const chars = [...bytes].map((byte) => CODE_ALPHABET[byte & 31]).join('')
  return `${chars.slice(0, 5)}-${chars.slice(5)}`
}
/** As typed: case, spaces and dashes do not matter. */
const normalizeRecoveryCode = (code: string) => code.toLowerCase().replace(/[\s-]/g, '')

/** Replaces the person's recovery codes with ten new ones; answers them (shown once, stored hashed). */
async function issueRecoveryCodes(tx: Tx, person: Person): Promise<string[]> {
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, person.id))
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode)
  await tx.insert(recoveryCodes).values(
    await Promise.all(
      codes.map(async (code) => ({
        tenantId: person.tenantId,
        userId: person.id,
        codeHash: await sha256Hex(normalizeRecoveryCode(code)),
      })),
    ),
  )
  return codes
}

/**
 * Checks a second factor typed by the person: a 6-digit TOTP code, or one of their recovery
 * codes. Postgres decides single use: the code's step is stored only if it is newer than the last
 * one accepted, and a recovery code is spent only if it was unspent, so two requests racing with
 * the same code get one yes. Answers what was used, or null.
 */
export async function checkSecondFactor(
  tx: Tx,
  services: Services,
  person: Person,
  sealedSecret: string,
  code: string,
  now: Date,
): Promise<'totp' | 'recovery_code' | null> {
  const typed = code.trim()
  if (APP_CODE.test(typed)) {
    const secret = base32Decode(await vaultOf(tx, services).openRow(secretRef(person), sealedSecret))
    if (!secret) return null
    // The replay check is the conditional update below, against the row as committed.
    const step = await verifyTotp(secret, typed, now)
    if (step === null) return null
    const table = tableOf(person.kind)
    const claimed = await tx
      .update(table)
      .set({ totpLastStep: step })
      .where(
        and(eq(table.id, person.id), sql`(${table.totpLastStep} is null or ${table.totpLastStep} < ${step})`),
      )
      .returning({ id: table.id })
    return claimed.length > 0 ? 'totp' : null
  }
  const normalized = normalizeRecoveryCode(typed)
  if (!/^[0-9a-z]{10}$/.test(normalized)) return null
  const spent = await tx
    .update(recoveryCodes)
    .set({ usedAt: now })
    .where(
      and(
        eq(recoveryCodes.userId, person.id),
        eq(recoveryCodes.codeHash, await sha256Hex(normalized)),
        isNull(recoveryCodes.usedAt),
      ),
    )
    .returning({ id: recoveryCodes.id })
  return spent.length > 0 ? 'recovery_code' : null
}

/** `GET /auth/two-factor`: whether it is on, required, and how many recovery codes are left. */
export async function twoFactorStatus(ctx: ServiceContext) {
  const person = personOf(ctx.principal)
  const row = await factorRow(ctx.tx, person)
  const [left] = await ctx.tx
    .select({ count: sql<number>`count(*)::int` })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, person.id), isNull(recoveryCodes.usedAt)))
  const enabled = Boolean(row?.totpEnabledAt)
  return {
    enabled,
    enabledAt: row?.totpEnabledAt ?? null,
    pending: !enabled && Boolean(row?.totpSecret),
    required: await secondFactorRequired(ctx.tx, ctx.services.config, person),
    recoveryCodesLeft: enabled ? (left?.count ?? 0) : 0,
  }
}

/**
 * Starts (or restarts) an enrolment after the password is typed again: a new secret, sealed into
 * the person's row, shown once as text and as an `otpauth://` URI. Not in force until confirmed.
 */
export async function startTotpEnrolment(ctx: ServiceContext, input: { password: string }) {
  const person = personOf(ctx.principal)
  await reauthenticate(ctx.tx, ctx.principal, { password: input.password }, 'json.password')
  const row = await factorRow(ctx.tx, person)
  if (!row) throw new ApiError(401, 'SESSION_ENDED', 'Your session has ended; sign in again.')
  if (row.totpEnabledAt) {
    throw new ApiError(409, 'TOTP_ALREADY_ENABLED', 'Two-factor sign-in is already on; turn it off first.')
  }
  const secret = newTotpSecret()
  const table = tableOf(person.kind)
  await ctx.tx
    .update(table)
    .set({
      totpSecret: await vaultOf(ctx.tx, ctx.services).sealRow(secretRef(person), base32Encode(secret)),
      totpEnabledAt: null,
      totpLastStep: null,
    })
    .where(eq(table.id, person.id))
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'auth.totp_enrolment_started',
    tenantId: person.tenantId,
    target: { type: person.kind, id: person.id },
  })
  return { secret: base32Encode(secret), otpauthUri: otpauthUri(secret, row.email) }
}

type CodeOutcome<T> = { ok: true; value: T } | { ok: false }

/**
 * Runs a verb that checks a code so that a wrong code's attempt row commits (the rate limit
 * counts it) before the 400 is raised: the verb answers `{ ok: false }` instead of throwing.
 */
async function withCountedAttempt<T>(
  caller: Caller,
  work: (ctx: ServiceContext) => Promise<CodeOutcome<T>>,
): Promise<T> {
  const outcome: CodeOutcome<T> = await caller.run(work, { allowRestricted: true })
  if (!outcome.ok) throw invalidCode()
  return outcome.value
}

/**
 * Confirms the enrolment with a code from the app: two-factor is on from now, the ten recovery
 * codes are answered (once), and this session is free of an enrolment restriction.
 */
export function confirmTotpEnrolment(
  caller: Caller,
  input: { code: string },
): Promise<{ recoveryCodes: string[] }> {
  return withCountedAttempt<{ recoveryCodes: string[] }>(caller, async (ctx) => {
    const person = personOf(ctx.principal)
    const row = await factorRow(ctx.tx, person)
    if (!row) throw new ApiError(401, 'SESSION_ENDED', 'Your session has ended; sign in again.')
    if (row.totpEnabledAt) {
      throw new ApiError(409, 'TOTP_ALREADY_ENABLED', 'Two-factor sign-in is already on.')
    }
    if (!row.totpSecret) throw notEnrolled()
    const accountKey = await accountKeyOf(row.email)
    await refuseWhenLocked(ctx.tx, accountKey, ctx.meta)
    // Only an app code proves the enrolment worked (recovery codes do not exist yet).
    const used = APP_CODE.test(input.code.trim())
      ? await checkSecondFactor(ctx.tx, ctx.services, person, row.totpSecret, input.code, ctx.now)
      : null
    await recordAttempt(ctx.tx, accountKey, ctx.meta, used !== null)
    if (!used) return { ok: false }
    const table = tableOf(person.kind)
    await ctx.tx.update(table).set({ totpEnabledAt: ctx.now }).where(eq(table.id, person.id))
    const codes = await issueRecoveryCodes(ctx.tx, person)
    await ctx.tx
      .update(sessions)
      .set({ restriction: null })
      .where(and(eq(sessions.id, sessionOf(ctx)), eq(sessions.restriction, 'totp_enrolment')))
    await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
      action: 'auth.totp_enabled',
      tenantId: person.tenantId,
      target: { type: person.kind, id: person.id },
    })
    return { ok: true, value: { recoveryCodes: codes } }
  })
}

const notEnrolled = () =>
  new ApiError(409, 'TOTP_NOT_ENROLLED', 'Two-factor sign-in is not on for this account.')

/** Ten new recovery codes (the old ones stop working), proven with a current code. */
export function regenerateRecoveryCodes(
  caller: Caller,
  input: { code: string },
): Promise<{ recoveryCodes: string[] }> {
  return withCountedAttempt<{ recoveryCodes: string[] }>(caller, async (ctx) => {
    const person = personOf(ctx.principal)
    const row = await factorRow(ctx.tx, person)
    if (!row?.totpEnabledAt || !row.totpSecret) throw notEnrolled()
    const accountKey = await accountKeyOf(row.email)
    await refuseWhenLocked(ctx.tx, accountKey, ctx.meta)
    const used = await checkSecondFactor(ctx.tx, ctx.services, person, row.totpSecret, input.code, ctx.now)
    await recordAttempt(ctx.tx, accountKey, ctx.meta, used !== null)
    if (!used) return { ok: false }
    const codes = await issueRecoveryCodes(ctx.tx, person)
    await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
      action: 'auth.recovery_codes_regenerated',
      tenantId: person.tenantId,
      target: { type: person.kind, id: person.id },
    })
    return { ok: true, value: { recoveryCodes: codes } }
  })
}

/**
 * Turns two-factor off with the password and a code (or a recovery code). Refused where it is
 * required: operators, and members whose owner requires it.
 */
export function disableTotp(caller: Caller, input: { password: string; code: string }): Promise<void> {
  return withCountedAttempt<void>(caller, async (ctx) => {
    const person = personOf(ctx.principal)
    if (await secondFactorRequired(ctx.tx, ctx.services.config, person)) {
      throw new ApiError(403, 'TOTP_REQUIRED', 'Two-factor sign-in is required for this account.')
    }
    const row = await factorRow(ctx.tx, person)
    if (!row?.totpEnabledAt || !row.totpSecret) throw notEnrolled()
    const accountKey = await accountKeyOf(row.email)
    await refuseWhenLocked(ctx.tx, accountKey, ctx.meta)
    await reauthenticate(ctx.tx, ctx.principal, { password: input.password }, 'json.password')
    const used = await checkSecondFactor(ctx.tx, ctx.services, person, row.totpSecret, input.code, ctx.now)
    await recordAttempt(ctx.tx, accountKey, ctx.meta, used !== null)
    if (!used) return { ok: false }
    const table = tableOf(person.kind)
    await ctx.tx
      .update(table)
      .set({ totpSecret: null, totpEnabledAt: null, totpLastStep: null })
      .where(eq(table.id, person.id))
    await ctx.tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, person.id))
    await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
      action: 'auth.totp_disabled',
      tenantId: person.tenantId,
      target: { type: person.kind, id: person.id },
    })
    return { ok: true, value: undefined }
  })
}

/**
 * The owner's switch: every member must sign in with a second factor. The owner must have one
 * first (or they would lock themselves into enrolment). Turning it on also restricts the live
 * sessions of members without one, so they are sent to enrol now, not at their next sign-in.
 */
export async function setTwoFactorRequirement(ctx: ServiceContext, input: { required: boolean }) {
  authorize(ctx.principal, 'tenant.security')
  const { tx, principal } = ctx
  if (input.required) {
    const own = await factorRow(tx, { kind: 'member', id: principal.id, tenantId: principal.tenantId })
    if (!own?.totpEnabledAt) {
      throw new ApiError(
        409,
        'TOTP_NOT_ENROLLED',
        'Turn on two-factor sign-in on your own account before requiring it of everyone.',
      )
    }
  }
  await tx.update(tenants).set({ requireTotp: input.required }).where(eq(tenants.id, principal.tenantId))
  const restricted = input.required
    ? await tx
        .update(sessions)
        .set({ restriction: 'totp_enrolment' })
        .where(
          and(
            eq(sessions.tenantId, principal.tenantId),
            isNull(sessions.revokedAt),
            isNull(sessions.restriction),
            sql`${sessions.userId} in (select id from users where tenant_id = ${principal.tenantId} and totp_enabled_at is null)`,
          ),
        )
        .returning({ id: sessions.id })
    : []
  const [without] = await tx
    .select({ count: sql<number>`count(*)::int` })
    .from(users)
    .where(
      and(eq(users.tenantId, principal.tenantId), isNull(users.totpEnabledAt), eq(users.status, 'active')),
    )
  await writeAudit(tx, actorOf(principal), ctx.meta, {
    action: input.required ? 'tenant.totp_required' : 'tenant.totp_optional',
    tenantId: principal.tenantId,
    target: { type: 'tenant', id: principal.tenantId },
    data: { restricted_sessions: restricted.length },
  })
  return { required: input.required, membersWithout: without?.count ?? 0 }
}

/** `GET /tenant/two-factor`: the owner's switch and who has not enrolled yet (count). */
export async function getTwoFactorRequirement(ctx: ServiceContext) {
  authorize(ctx.principal, 'tenant.security')
  const [row] = await ctx.tx
    .select({
      required: tenants.requireTotp,
      membersWithout: sql<number>`(select count(*)::int from users where tenant_id = ${ctx.principal.tenantId} and totp_enabled_at is null and status = 'active')`,
    })
    .from(tenants)
    .where(eq(tenants.id, ctx.principal.tenantId))
  return { required: row?.required ?? false, membersWithout: row?.membersWithout ?? 0 }
}
