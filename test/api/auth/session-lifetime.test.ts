import { decodeJwt } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { SESSION_ABSOLUTE_SECONDS, SESSION_IDLE_SECONDS } from '../../../worker/services/context.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createTenant, errorCode, login } from '../../helpers/fixtures.ts'
import { portalClient } from '../../helpers/portal.ts'
import { callWorker } from '../../helpers/worker.ts'

/**
 * The two lifetimes of a session (docs/security.md): idle (24 h, sliding with use) and absolute
 * (30 days from sign-in, never extended). Time is moved in the database, not on the clock: the
 * session's timestamps are set as they would be after the wait.
 */

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

type SessionTimes = { created_at: Date; last_seen_at: Date; idle_expires_at: Date; absolute_expires_at: Date }
const sessionOf = async (accessToken: string) => {
  const id = decodeJwt(accessToken).sid as string
  const [row] = await db.owner<SessionTimes>(
    'select created_at, last_seen_at, idle_expires_at, absolute_expires_at from sessions where id = $1',
    [id],
  )
  if (!row) throw new Error(`no session ${id}`)
  return { id, ...row }
}
const setSession = (id: string, assignments: string) =>
  db.owner(`update sessions set ${assignments} where id = $1`, [id])

async function signedIn() {
  const tenant = await createTenant(db)
  const member = await createMember(db, tenant.tenantId, 'viewer')
  const tokens = await login(db, member.email)
  return { member, tokens, call: as(db, tokens.access_token), session: await sessionOf(tokens.access_token) }
}

const seconds = (later: Date, earlier: Date) => (later.getTime() - earlier.getTime()) / 1000

describe('session lifetimes', () => {
  it('starts with 24 hours of idle life and 30 days of absolute life', async () => {
    const { session } = await signedIn()
    expect(seconds(session.idle_expires_at, session.created_at)).toBe(SESSION_IDLE_SECONDS)
    expect(seconds(session.absolute_expires_at, session.created_at)).toBe(SESSION_ABSOLUTE_SECONDS)
    expect(SESSION_IDLE_SECONDS).toBe(24 * 60 * 60)
    expect(SESSION_ABSOLUTE_SECONDS).toBe(30 * 24 * 60 * 60)
  })

  it('ends a session left idle for 24 hours, for the API, the refresh token and the portal', async () => {
    const { session, call, tokens, member } = await signedIn()
    const portal = portalClient(db)
    await portal.login(member.email)
    expect((await portal.request('/app/account')).status).toBe(200)
    const portalSession = (
      await db.owner<{ id: string }>('select id from sessions where user_id = $1 and id <> $2', [
        member.id,
        session.id,
      ])
    )[0]?.id as string

    // 24 hours and a second without a request.
    for (const id of [session.id, portalSession])
      await setSession(
        id,
        `last_seen_at = now() - interval '24 hours 1 second', idle_expires_at = now() - interval '1 second'`,
      )
    const me = await call('/api/v1/auth/me')
    expect(me.status).toBe(401)
    expect(await errorCode(me)).toBe('SESSION_ENDED')
    const refreshed = await callWorker(db.env, '/api/v1/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: tokens.refresh_token }),
    })
    expect(refreshed.status).toBe(401)
    expect(await errorCode(refreshed)).toBe('INVALID_REFRESH_TOKEN')
    const page = await portal.request('/app/account')
    expect(page.status).toBe(303)
    expect(page.headers.get('location')).toContain('/app/login')
  })

  it('slides the idle expiry with use (writing at most once a minute), never past the absolute one', async () => {
    const { session, call } = await signedIn()
    // Last seen 2 hours ago, 22 hours of idle life left: a request gives it 24 hours from now.
    await setSession(
      session.id,
      `last_seen_at = now() - interval '2 hours', idle_expires_at = now() + interval '22 hours'`,
    )
    const before = new Date()
    expect((await call('/api/v1/auth/me')).status).toBe(200)
    const slid = await sessionRow(session.id)
    expect(seconds(slid.idle_expires_at, before)).toBeGreaterThan(SESSION_IDLE_SECONDS - 5)
    expect(seconds(slid.idle_expires_at, before)).toBeLessThanOrEqual(SESSION_IDLE_SECONDS + 5)
    expect(seconds(slid.last_seen_at, before)).toBeGreaterThan(-5)

    // Within the minute, another request writes nothing.
    const pinned = new Date(Date.now() + 60 * 60 * 1000)
    await setSession(session.id, `idle_expires_at = '${pinned.toISOString()}'`)
    expect((await call('/api/v1/auth/me')).status).toBe(200)
    expect((await sessionRow(session.id)).idle_expires_at.toISOString()).toBe(pinned.toISOString())

    // Near the absolute end, sliding stops at it.
    await setSession(
      session.id,
      `last_seen_at = now() - interval '2 hours', absolute_expires_at = now() + interval '1 hour'`,
    )
    expect((await call('/api/v1/auth/me')).status).toBe(200)
    const capped = await sessionRow(session.id)
    expect(capped.idle_expires_at.toISOString()).toBe(capped.absolute_expires_at.toISOString())
  })

  it('ends a session 30 days after sign-in however busy it is', async () => {
    const { session, call } = await signedIn()
    // Used a minute ago (idle life left), but signed in 30 days ago.
    await setSession(
      session.id,
      `created_at = now() - interval '30 days', last_seen_at = now() - interval '1 minute',
       idle_expires_at = now() + interval '23 hours', absolute_expires_at = now() - interval '1 second'`,
    )
    const me = await call('/api/v1/auth/me')
    expect(me.status).toBe(401)
    expect(await errorCode(me)).toBe('SESSION_ENDED')
    // And its expired row is not brought back by the attempt.
    expect((await sessionRow(session.id)).idle_expires_at.getTime()).toBeLessThan(Date.now() + 24 * 3600_000)
  })
})

async function sessionRow(id: string) {
  const [row] = await db.owner<SessionTimes>(
    'select created_at, last_seen_at, idle_expires_at, absolute_expires_at from sessions where id = $1',
    [id],
  )
  if (!row) throw new Error(`no session ${id}`)
  return row
}
