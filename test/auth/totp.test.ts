import { describe, expect, it } from 'vitest'
import {
  base32Decode,
  base32Encode,
  hotp,
  newTotpSecret,
  otpauthUri,
  totp,
  totpStep,
  verifyTotp,
} from '../../worker/auth/totp.ts'

// RFC 6238 Appendix B's SHA-1 seed: the ASCII string "12345678901234567890".
const RFC_SECRET = new TextEncoder().encode('12345678901234567890')

describe('TOTP (RFC 6238, SHA-1)', () => {
  it('matches every SHA-1 test vector of RFC 6238 Appendix B (8 digits)', async () => {
    const vectors: [number, string][] = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ]
    for (const [seconds, code] of vectors)
      expect(await totp(RFC_SECRET, new Date(seconds * 1000), 8)).toBe(code)
  })

  it('matches RFC 4226 Appendix D’s HOTP values, and gives 6-digit codes by default', async () => {
    const expected = [
      '755224',
      '287082',
      '359152',
      '969429',
      '338314',
      '254676',
      '287922',
      '162583',
      '399871',
      '520489',
    ]
    for (const [counter, code] of expected.entries()) expect(await hotp(RFC_SECRET, counter)).toBe(code)
    expect(await totp(RFC_SECRET, new Date(59_000))).toBe('287082')
  })

  it('accepts the codes of the step before and after, not two steps away', async () => {
    const at = new Date(1_234_567_890_000)
    const step = totpStep(at)
    for (const offset of [-1, 0, 1]) {
      const code = await hotp(RFC_SECRET, step + offset)
      expect(await verifyTotp(RFC_SECRET, code, at)).toBe(step + offset)
    }
    for (const offset of [-2, 2])
      expect(await verifyTotp(RFC_SECRET, await hotp(RFC_SECRET, step + offset), at)).toBeNull()
    expect(await verifyTotp(RFC_SECRET, '000000', at)).toBeNull()
    expect(await verifyTotp(RFC_SECRET, 'abcdef', at)).toBeNull()
    expect(await verifyTotp(RFC_SECRET, '12345', at)).toBeNull()
  })

  it('refuses a code again within its window once it was used (replay)', async () => {
    const at = new Date(1_700_000_000_000)
    const code = await totp(RFC_SECRET, at)
    const used = await verifyTotp(RFC_SECRET, code, at)
    expect(used).toBe(totpStep(at))
    expect(await verifyTotp(RFC_SECRET, code, new Date(at.getTime() + 20_000), used)).toBeNull()
    // An older code still inside the window is refused too; the next step's code is fine.
    expect(await verifyTotp(RFC_SECRET, await hotp(RFC_SECRET, totpStep(at) - 1), at, used)).toBeNull()
    const next = new Date(at.getTime() + 30_000)
    expect(await verifyTotp(RFC_SECRET, await totp(RFC_SECRET, next), next, used)).toBe(totpStep(next))
  })

  it('round-trips base32 and writes the otpauth URI apps import', async () => {
    expect(base32Encode(RFC_SECRET)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')
    expect(base32Decode('gezd gnbv gy3t qojq gezd gnbv gy3t qojq')).toEqual(RFC_SECRET)
    expect(base32Decode('not base32!')).toBeNull()
    const secret = newTotpSecret()
    expect(secret).toHaveLength(20)
    expect(base32Decode(base32Encode(secret))).toEqual(secret)
    expect(otpauthUri(RFC_SECRET, 'ana@example.com')).toBe(
      'otpauth://totp/Integra:ana%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Integra&algorithm=SHA1&digits=6&period=30',
    )
  })
})
