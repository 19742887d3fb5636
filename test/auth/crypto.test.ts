import { base64url } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  burnPasswordTime,
  derivePasswordHash,
  hashPassword,
  PASSWORD_ITERATIONS,
  verifyPassword,
} from '../../worker/auth/password.ts'

/** A stored hash built with WebCrypto directly, independent of the module under test. */
async function handMadeHash(password: string, iterations: number): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16))
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, [
    'deriveBits',
  ])
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256)
  return `pbkdf2-sha256$${iterations}$${base64url.encode(salt)}$${base64url.encode(new Uint8Array(bits))}`
}

describe('password hashing', () => {
  it('hashes to the PHC-like format and verifies the same password', async () => {
    const stored = await hashPassword('correct horse battery staple')
    expect(PASSWORD_ITERATIONS).toBe(100_000)
    expect(stored).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/)
    expect(await verifyPassword('correct horse battery staple', stored)).toEqual({
      ok: true,
      needsRehash: false,
    })
  })

  it('salts every hash', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'))
  })

  it('refuses a wrong password', async () => {
    const stored = await hashPassword('correct horse battery staple')
    expect(await verifyPassword('correct horse battery stapler', stored)).toEqual({
      ok: false,
      needsRehash: false,
    })
    expect(await verifyPassword('', stored)).toEqual({ ok: false, needsRehash: false })
  })

  it('matches a hash built by hand with WebCrypto (the format is the documented one)', async () => {
    const stored = await handMadeHash('s3cret', PASSWORD_ITERATIONS)
    expect(await verifyPassword('s3cret', stored)).toEqual({ ok: true, needsRehash: false })
  })

  it('asks for a rehash of an older, lower-iteration hash, only once the password is right', async () => {
    const stored = await handMadeHash('s3cret', 10_000)
    expect(await verifyPassword('s3cret', stored)).toEqual({ ok: true, needsRehash: true })
    expect(await verifyPassword('wrong', stored)).toEqual({ ok: false, needsRehash: false })
  })

  it('never derives above the Workers limit, even for a correct stored hash', async () => {
    // Local workerd can derive 100,001 iterations; production would throw at login time.
    const stored = await handMadeHash('s3cret', PASSWORD_ITERATIONS + 1)
    expect(await verifyPassword('s3cret', stored)).toEqual({ ok: false, needsRehash: false })
  })

  it('guards the derivation itself against more than 100,000 iterations', async () => {
    const salt = new Uint8Array(16)
    await expect(derivePasswordHash('x', salt, 100_001)).rejects.toThrow(/Workers limit/)
    await expect(derivePasswordHash('x', salt, 0)).rejects.toThrow(/positive integer/)
    expect(await derivePasswordHash('x', salt, 100_000)).toHaveLength(32)
  })

  it('fails closed on malformed stored strings without throwing', async () => {
    const good = await hashPassword('pw')
    const [, , salt, hash] = good.split('$')
    const malformed = [
      '',
      'garbage',
      '$$$',
      `pbkdf2-sha256$100000$${salt}`,
      `pbkdf2-sha256$100000$${salt}$${hash}$extra`,
      `bcrypt$100000$${salt}$${hash}`,
      `pbkdf2-sha512$100000$${salt}$${hash}`,
      `pbkdf2-sha256$0$${salt}$${hash}`,
      `pbkdf2-sha256$-5$${salt}$${hash}`,
      `pbkdf2-sha256$1e5$${salt}$${hash}`,
      `pbkdf2-sha256$100000$${salt}$${hash}==`,
      `pbkdf2-sha256$100000$${salt}$${hash?.slice(0, 10)}`,
      `pbkdf2-sha256$100000$not*base64url*at*all$${hash}`,
      `pbkdf2-sha256$100000$${'A'.repeat(21)}$${hash}`, // 21 chars is not a whole byte count
      ` ${good}`,
    ]
    for (const stored of malformed) {
      expect(await verifyPassword('pw', stored), stored).toEqual({ ok: false, needsRehash: false })
    }
    expect(await verifyPassword('pw', good)).toEqual({ ok: true, needsRehash: false })
  })

  it('normalizes unicode (NFKC) so composed and decomposed forms match', async () => {
    const composed = 'caf\u00e9-\u00c5ngstr\u00f6m'
    const decomposed = 'cafe\u0301-A\u030angstro\u0308m'
    expect(composed).not.toBe(decomposed)
    const stored = await hashPassword(composed)
    expect(await verifyPassword(decomposed, stored)).toEqual({ ok: true, needsRehash: false })
    expect(await verifyPassword(composed, await hashPassword(decomposed))).toMatchObject({ ok: true })
    // Compatibility forms too: the "fi" ligature is the two letters.
    expect(await verifyPassword('\ufb01le', await hashPassword('file'))).toMatchObject({ ok: true })
    // Normalization must not erase real differences.
    expect(await verifyPassword('cafe-Angstrom', stored)).toMatchObject({ ok: false })
    expect(await verifyPassword('密码🔑', await hashPassword('密码🔑'))).toMatchObject({ ok: true })
  })

  it('burns about the time of a real verification for unknown accounts', async () => {
    const stored = await hashPassword('pw')
    const realStart = performance.now()
    await verifyPassword('pw', stored)
    const real = performance.now() - realStart
    const burnStart = performance.now()
    await expect(burnPasswordTime()).resolves.toBeUndefined()
    const burn = performance.now() - burnStart
    console.log(`verifyPassword ${real.toFixed(1)} ms, burnPasswordTime ${burn.toFixed(1)} ms`)
    // Loose on purpose (CI noise): a burn that skipped the derivation would take ~0 ms.
    expect(burn).toBeGreaterThan(real * 0.3)
  })

  it('measures the cost of one hash inside workerd', async () => {
    const runs = 3
    const start = performance.now()
    for (let i = 0; i < runs; i++) await hashPassword(`password-${i}`)
    const mean = (performance.now() - start) / runs
    console.log(
      `PBKDF2-SHA256 ${PASSWORD_ITERATIONS} iterations: mean ${mean.toFixed(1)} ms per hash (${runs} runs)`,
    )
  })
})
