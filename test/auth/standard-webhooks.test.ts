import { describe, expect, it } from 'vitest'
import {
  parseWebhookSecrets,
  signStandardWebhook,
  verifyStandardWebhook,
} from '../../worker/auth/standard-webhooks.ts'

const now = new Date('2030-01-01T00:00:00Z')
const nowSeconds = now.getTime() / 1000
const body = '{"type":"subscription.updated","data":{"id":"sub_1","plan":"pro"}}'
const secret = crypto.getRandomValues(new Uint8Array(32))

async function delivery(options: { key?: Uint8Array; timestamp?: number; id?: string } = {}) {
  const id = options.id ?? 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W'
  const timestamp = options.timestamp ?? nowSeconds
  return {
    id,
    timestamp: String(timestamp),
    signature: await signStandardWebhook(id, timestamp, body, options.key ?? secret),
    body,
  }
}

describe('Standard Webhooks verification', () => {
  it('accepts a valid delivery', async () => {
    const input = await delivery()
    expect(input.signature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/)
    expect(await verifyStandardWebhook(input, [secret], { now })).toEqual({ ok: true })
  })

  it('matches the reference test vector of the Standard Webhooks libraries', async () => {
    const [key] = parseWebhookSecrets('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek'
    const timestamp = 1614265330
    const payload = '{"test": 2432232314}'
    const expected = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
    expect(await signStandardWebhook(id, timestamp, payload, key as Uint8Array)).toBe(expected)
    const input = { id, timestamp: String(timestamp), signature: expected, body: payload }
    expect(
      await verifyStandardWebhook(input, [key as Uint8Array], { now: new Date(timestamp * 1000) }),
    ).toEqual({ ok: true })
  })

  it('accepts a delivery signed with the second secret of the list (rotation)', async () => {
    const next = crypto.getRandomValues(new Uint8Array(32))
    const input = await delivery({ key: secret })
    expect(await verifyStandardWebhook(input, [next, secret], { now })).toEqual({ ok: true })
    expect(await verifyStandardWebhook(input, [next], { now })).toEqual({
      ok: false,
      reason: 'bad_signature',
    })
  })

  it('accepts a header with several signatures when one of them is valid', async () => {
    const other = crypto.getRandomValues(new Uint8Array(32))
    const input = await delivery()
    const wrong = await signStandardWebhook(input.id, nowSeconds, body, other)
    const signature = `${wrong} v2,${input.signature.slice(3)} ${input.signature}`
    expect(await verifyStandardWebhook({ ...input, signature }, [secret], { now })).toEqual({ ok: true })
  })

  it('ignores a valid signature under a version other than v1', async () => {
    const input = await delivery()
    const signature = `v2,${input.signature.slice(3)} ${input.signature.replace(',', '')}`
    expect(await verifyStandardWebhook({ ...input, signature }, [secret], { now })).toEqual({
      ok: false,
      reason: 'bad_signature',
    })
  })

  it('refuses a tampered body, id or timestamp', async () => {
    const input = await delivery()
    const bad = { ok: false, reason: 'bad_signature' }
    const tampered = body.replace('pro', 'enterprise')
    expect(await verifyStandardWebhook({ ...input, body: tampered }, [secret], { now })).toEqual(bad)
    expect(await verifyStandardWebhook({ ...input, body: `${body} ` }, [secret], { now })).toEqual(bad)
    expect(await verifyStandardWebhook({ ...input, id: 'msg_other' }, [secret], { now })).toEqual(bad)
    const moved = { ...input, timestamp: String(nowSeconds + 1) }
    expect(await verifyStandardWebhook(moved, [secret], { now })).toEqual(bad)
  })

  it('refuses stale and future timestamps outside the tolerance, in both directions', async () => {
    const stale = { ok: false, reason: 'stale_timestamp' }
    for (const offset of [-301, 301, -86_400, 86_400]) {
      const input = await delivery({ timestamp: nowSeconds + offset })
      expect(await verifyStandardWebhook(input, [secret], { now }), String(offset)).toEqual(stale)
    }
    for (const offset of [-300, 300]) {
      const input = await delivery({ timestamp: nowSeconds + offset })
      expect(await verifyStandardWebhook(input, [secret], { now }), String(offset)).toEqual({ ok: true })
    }
    const oneMinuteOld = await delivery({ timestamp: nowSeconds - 60 })
    expect(await verifyStandardWebhook(oneMinuteOld, [secret], { now, toleranceSeconds: 30 })).toEqual(stale)
  })

  it('uses the current time by default', async () => {
    const current = Math.floor(Date.now() / 1000)
    expect(await verifyStandardWebhook(await delivery({ timestamp: current }), [secret])).toEqual({
      ok: true,
    })
    expect(await verifyStandardWebhook(await delivery(), [secret])).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    })
  })

  it('reports missing (or unusable) headers', async () => {
    const input = await delivery()
    const missing = { ok: false, reason: 'missing_headers' }
    for (const change of [
      { id: null },
      { timestamp: null },
      { signature: null },
      { id: '' },
      { signature: '' },
      { timestamp: 'yesterday' },
      { timestamp: '1.5e9' },
      { timestamp: '-1' },
    ]) {
      expect(
        await verifyStandardWebhook({ ...input, ...change }, [secret], { now }),
        JSON.stringify(change),
      ).toEqual(missing)
    }
  })

  it('treats garbage signatures as bad signatures without throwing', async () => {
    const input = await delivery()
    const bad = { ok: false, reason: 'bad_signature' }
    for (const signature of [
      'v1,***not-base64***',
      'v1,',
      'v1',
      ',,,',
      'v1,AAAA',
      'v1,dGVzdA==',
      `v1,${input.signature.slice(3, -1)}`, // unpadded: senders always pad
      `v1,${input.signature.slice(3).replace(/\+/g, '-').replace(/\//g, '_')}x`,
      'garbage',
    ]) {
      expect(await verifyStandardWebhook({ ...input, signature }, [secret], { now }), signature).toEqual(bad)
    }
    // A garbled entry does not hide a valid one next to it.
    const mixed = `v1,***not-base64*** ${input.signature}`
    expect(await verifyStandardWebhook({ ...input, signature: mixed }, [secret], { now })).toEqual({
      ok: true,
    })
    expect(await verifyStandardWebhook(input, [], { now })).toEqual(bad)
  })
})

describe('parseWebhookSecrets', () => {
  it('decodes whsec_ secrets and takes other strings as UTF-8 bytes', () => {
    const raw = new Uint8Array(24).fill(5)
    const encoded = btoa(String.fromCharCode(...raw))
    const [decoded, plain] = parseWebhookSecrets(` whsec_${encoded} , dev-billing-secret ,`)
    expect(decoded).toEqual(raw)
    expect(plain).toEqual(new TextEncoder().encode('dev-billing-secret'))
  })

  it('verifies with a raw-string secret the sender uses as UTF-8', async () => {
    const secrets = parseWebhookSecrets('dev-billing-secret')
    const input = await delivery({ key: new TextEncoder().encode('dev-billing-secret') })
    expect(await verifyStandardWebhook(input, secrets, { now })).toEqual({ ok: true })
  })

  it('rejects an empty list and bad whsec_ base64 without echoing the secret', () => {
    expect(() => parseWebhookSecrets(' , ')).toThrow(/at least one secret/)
    let message = ''
    try {
      parseWebhookSecrets('whsec_AAAA,whsec_not*base64!secret')
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(/entry 2 starts with whsec_ but is not valid base64/)
    expect(message).not.toContain('not*base64!secret')
    expect(() => parseWebhookSecrets('whsec_')).toThrow(/entry 1/)
  })
})
