import { base64url, decodeJwt, decodeProtectedHeader, type JWTPayload, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  type AccessClaims,
  parseSigningKeys,
  type SigningKey,
  signAccessToken,
  verifyAccessToken,
} from '../../worker/auth/jwt.ts'

function newKey(kid: string): SigningKey {
  return { kid, secret: crypto.getRandomValues(new Uint8Array(32)) }
}

const claims: AccessClaims = { sub: 'usr_1', tenant_id: 'ten_1', role: 'analyst', sid: 'ses_1' }

/** A token signed with a real key but shaped by the test, to probe each verification rule. */
async function craft(
  key: SigningKey,
  options: { payload?: JWTPayload; header?: Record<string, unknown>; alg?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const payload: JWTPayload = {
    sub: 'usr_1',
    tenant_id: 'ten_1',
    role: 'analyst',
    sid: 'ses_1',
    iss: 'integra',
    aud: 'integra-api',
    iat: now,
    exp: now + 60,
    jti: 'jti-1',
    ...options.payload,
  }
  return new SignJWT(payload)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', kid: key.kid, typ: 'at+jwt', ...options.header })
    .sign(key.secret)
}

function part(value: object): string {
  return base64url.encode(JSON.stringify(value))
}

describe('access tokens', () => {
  it('round-trips the claims, with kid, issuer, audience, lifetime and a random jti', async () => {
    const key = newKey('k1')
    const now = new Date('2030-01-01T00:00:00Z')
    const { token, expiresIn } = await signAccessToken(claims, [key])
    expect(expiresIn).toBe(900)
    expect(await verifyAccessToken(token, [key])).toEqual(claims)

    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' })
    const timed = await signAccessToken(claims, [key], { now, ttlSeconds: 60 })
    const payload = decodeJwt(timed.token)
    expect(timed.expiresIn).toBe(60)
    expect(payload).toMatchObject({ iss: 'integra', aud: 'integra-api', sub: 'usr_1', sid: 'ses_1' })
    expect(payload.iat).toBe(now.getTime() / 1000)
    expect(payload.exp).toBe(now.getTime() / 1000 + 60)
    expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(decodeJwt((await signAccessToken(claims, [key])).token).jti).not.toBe(decodeJwt(token).jti)
  })

  it('carries a null tenant for platform operators', async () => {
    const key = newKey('k1')
    const operator: AccessClaims = { sub: 'usr_op', tenant_id: null, role: 'operator', sid: 'ses_2' }
    const { token } = await signAccessToken(operator, [key])
    expect(await verifyAccessToken(token, [key])).toEqual(operator)
  })

  it('rotates keys without downtime: old tokens verify until the old key leaves the list', async () => {
    const oldKey = newKey('2025-01')
    const newKeyInList = newKey('2025-06')
    const { token: oldToken } = await signAccessToken(claims, [oldKey])

    const rotated = [newKeyInList, oldKey]
    expect(await verifyAccessToken(oldToken, rotated)).toEqual(claims)
    const { token: newToken } = await signAccessToken(claims, rotated)
    expect(decodeProtectedHeader(newToken).kid).toBe('2025-06')
    expect(await verifyAccessToken(newToken, rotated)).toEqual(claims)

    expect(await verifyAccessToken(oldToken, [newKeyInList])).toBeNull()
    expect(await verifyAccessToken(newToken, [newKeyInList])).toEqual(claims)
  })

  it('refuses an expired token', async () => {
    const key = newKey('k1')
    const tenMinutesAgo = new Date(Date.now() - 600_000)
    const expired = await signAccessToken(claims, [key], { now: tenMinutesAgo, ttlSeconds: 300 })
    expect(await verifyAccessToken(expired.token, [key])).toBeNull()
    const live = await signAccessToken(claims, [key], { now: tenMinutesAgo, ttlSeconds: 900 })
    expect(await verifyAccessToken(live.token, [key])).toEqual(claims)
  })

  it('refuses a tampered payload', async () => {
    const key = newKey('k1')
    const { token } = await signAccessToken(claims, [key])
    const [header, payload, signature] = token.split('.')
    const escalated = part({ ...decodeJwt(token), role: 'operator', tenant_id: null })
    expect(await verifyAccessToken(`${header}.${escalated}.${signature}`, [key])).toBeNull()
    expect(await verifyAccessToken(`${header}.${payload}.${signature}x`, [key])).toBeNull()
  })

  it('refuses alg none and any algorithm other than HS256', async () => {
    const key = newKey('k1')
    const payload = decodeJwt((await signAccessToken(claims, [key])).token)
    for (const alg of ['none', 'None', 'NONE']) {
      const unsigned = `${part({ alg, kid: 'k1', typ: 'at+jwt' })}.${part(payload)}.`
      expect(await verifyAccessToken(unsigned, [key])).toBeNull()
    }
    expect(await verifyAccessToken(await craft(key, { alg: 'HS512' }), [key])).toBeNull()
    expect(await verifyAccessToken(await craft(key), [key])).toEqual(claims)
  })

  it('refuses an unknown or missing kid', async () => {
    const key = newKey('k1')
    const { token } = await signAccessToken(claims, [key])
    expect(await verifyAccessToken(token, [{ ...key, kid: 'k2' }])).toBeNull()
    expect(await verifyAccessToken(await craft(key, { header: { kid: undefined } }), [key])).toBeNull()
    expect(await verifyAccessToken(token, [])).toBeNull()
  })

  it('refuses another issuer, audience or token type signed with our key', async () => {
    const key = newKey('k1')
    expect(await verifyAccessToken(await craft(key, { payload: { iss: 'someone' } }), [key])).toBeNull()
    expect(
      await verifyAccessToken(await craft(key, { payload: { aud: 'integra-portal' } }), [key]),
    ).toBeNull()
    expect(await verifyAccessToken(await craft(key, { header: { typ: 'JWT' } }), [key])).toBeNull()
  })

  it('refuses well-signed tokens whose claims are malformed', async () => {
    const key = newKey('k1')
    const bad: JWTPayload[] = [
      { role: 'superuser' },
      { role: undefined },
      { tenant_id: 42 },
      { tenant_id: '' },
      { sid: '' },
      { sid: undefined },
      { sub: '' },
    ]
    for (const payload of bad) {
      expect(
        await verifyAccessToken(await craft(key, { payload }), [key]),
        JSON.stringify(payload),
      ).toBeNull()
    }
    const noJti = await craft(key, { payload: { jti: undefined } })
    expect(decodeJwt(noJti).jti).toBeUndefined()
    expect(await verifyAccessToken(noJti, [key])).toBeNull()
  })

  it('returns null for garbage instead of throwing', async () => {
    const key = newKey('k1')
    for (const token of ['', 'a', 'a.b.c', '...', `${part({ alg: 'HS256', kid: 'k1' })}.e30.`]) {
      expect(await verifyAccessToken(token, [key])).toBeNull()
    }
  })

  it('refuses to sign invalid claims, without a key or with a bad lifetime', async () => {
    const key = newKey('k1')
    const wrongRole = { ...claims, role: 'root' } as unknown as AccessClaims
    await expect(signAccessToken(wrongRole, [key])).rejects.toThrow()
    await expect(signAccessToken({ ...claims, sid: '' }, [key])).rejects.toThrow()
    await expect(signAccessToken(claims, [])).rejects.toThrow(/no signing key/)
    await expect(signAccessToken(claims, [key], { ttlSeconds: 0 })).rejects.toThrow(/ttlSeconds/)
  })
})

describe('parseSigningKeys', () => {
  const secretA = base64url.encode(new Uint8Array(32).fill(7))
  const secretB = base64url.encode(new Uint8Array(48).fill(9))

  it('parses kid:secret pairs, newest first', () => {
    const keys = parseSigningKeys(` 2025-06:${secretA} , 2025_01:${secretB},`)
    expect(keys.map((key) => key.kid)).toEqual(['2025-06', '2025_01'])
    expect(keys[0]?.secret).toEqual(new Uint8Array(32).fill(7))
    expect(keys[1]?.secret).toHaveLength(48)
  })

  it('signs with the first key of a parsed list', async () => {
    const keys = parseSigningKeys(`new:${secretA},old:${secretB}`)
    const { token } = await signAccessToken(claims, keys)
    expect(decodeProtectedHeader(token).kid).toBe('new')
    expect(await verifyAccessToken(token, keys)).toEqual(claims)
  })

  const shortSecret = base64url.encode(new TextEncoder().encode('too-short-secret-value'))
  const cases: [string, string, RegExp][] = [
    ['empty', '  ,  ', /at least one/],
    ['no colon', secretA, /entry 1 is not in the form kid:base64url-secret/],
    ['bad kid', `bad kid!:${secretA}`, /entry 1: kid must match/],
    ['long kid', `${'k'.repeat(33)}:${secretA}`, /entry 1: kid must match/],
    ['duplicate kid', `k1:${secretA},k1:${secretB}`, /entry 2: kid "k1" is used twice/],
    ['short secret', `k1:${secretA},k2:${shortSecret}`, /entry 2 \(kid "k2"\): secret decodes to 22 bytes/],
    [
      'not base64url',
      `k1:${secretA.slice(0, 20)}+/${secretA.slice(20)}`,
      /entry 1 \(kid "k1"\): secret is not/,
    ],
    ['empty secret', 'k1:', /entry 1 \(kid "k1"\): secret is not valid base64url/],
  ]
  for (const [name, value, message] of cases) {
    it(`rejects ${name} with a message that does not contain the secret`, () => {
      let error: unknown
      try {
        parseSigningKeys(value)
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(Error)
      const text = (error as Error).message
      expect(text).toMatch(message)
      for (const secret of [secretA, secretB, shortSecret, secretA.slice(0, 20)]) {
        expect(text).not.toContain(secret)
      }
    })
  }
})
