import { beforeAll, describe, expect, it } from 'vitest'
import { coffeeCheckout, FAR_CEP, postCheckout, shopSetup } from '../../helpers/commerce.ts'
import { captureQueue, createTestDatabase, type TestBindings, type TestDatabase } from '../../helpers/env.ts'
import { errorCode } from '../../helpers/fixtures.ts'

let db: TestDatabase
let env: TestBindings
beforeAll(async () => {
  db = await createTestDatabase()
  env = { ...db.env, API_RATE_LIMITER: undefined, JOBS: captureQueue().queue } as unknown as TestBindings
})

/** How many lookups the fake ViaCEP and Nominatim answered for a CEP (shared by every test file). */
async function lookups(cep: string) {
  const response = await fetch(`${env.TEST_FAKE_PLATFORMS_URL}/viacep/__control/requests?cep=${cep}`)
  return (await response.json()) as { viacep: number; nominatim: number }
}

describe('CEP → address and point (geocoding port)', () => {
  it('quotes shipping from the CEP alone, and a second quote is answered from the KV cache', async () => {
    const fixture = await shopSetup(db, { env })
    const before = await lookups('04538132')
    const quote = await fixture.shop('/shipping/quote', {
      method: 'POST',
      json: { store_id: fixture.storeId, cep: '04538-132' },
    })
    expect(quote.status).toBe(200)
    const body = (await quote.json()) as { distance_km: number; fee_cents: number; city: string }
    // Faria Lima is about 4 km from Paulista: the second band (≤ 8 km, R$ 9).
    expect(body.fee_cents).toBe(900)
    expect(body.distance_km).toBeGreaterThan(3)
    expect(body.distance_km).toBeLessThan(5)
    expect(body.city).toBe('São Paulo')
    const once = await lookups('04538132')
    const again = await fixture.shop('/shipping/quote', {
      method: 'POST',
      json: { store_id: fixture.storeId, cep: '04538132' },
    })
    expect(((await again.json()) as { fee_cents: number }).fee_cents).toBe(900)
    const twice = await lookups('04538132')
    expect(once.viacep - before.viacep).toBeLessThanOrEqual(1)
    expect(twice).toEqual(once)
  })

  it('ignores client coordinates: the CEP decides the distance, and a divergent total is refused', async () => {
    const fixture = await shopSetup(db, { env })
    // A client that claims to be next door while its CEP is 35 km away is out of range.
    const preview = await fixture.shop('/checkout/preview', {
      method: 'POST',
      json: {
        ...coffeeCheckout(fixture),
        fulfilment: 'delivery',
        address: { cep: FAR_CEP, number: '1', latitude: -23.5614, longitude: -46.6559 },
      },
    })
    expect(preview.status).toBe(422)
    expect(await errorCode(preview)).toBe('OUT_OF_RANGE')
    // Expecting the fee of the nearest band for an address in the second band is a changed price.
    const placed = await postCheckout(fixture, {
      ...coffeeCheckout(fixture),
      fulfilment: 'delivery',
      address: { cep: '05407-002', number: '10' },
      expected: { shipping_cents: 500, total_cents: 1500 },
    })
    expect(placed.status).toBe(409)
    const refused = (await placed.json()) as { error: { code: string; details: Record<string, number> } }
    expect(refused.error.code).toBe('PRICE_CHANGED')
    expect(refused.error.details).toMatchObject({ shipping_cents: 900, total_cents: 1900 })
    const right = await postCheckout(fixture, {
      ...coffeeCheckout(fixture),
      fulfilment: 'delivery',
      address: { cep: '05407-002', number: '10' },
      expected: { shipping_cents: 900, total_cents: 1900 },
    })
    expect(right.status).toBe(201)
    const [order] = await db.owner<{ address: Record<string, string> }>(
      'select address from commerce_orders where tenant_id = $1',
      [fixture.tenant.tenantId],
    )
    // Street, district and city filled from the CEP; the number as typed.
    expect(order?.address).toMatchObject({
      street: 'Rua Cardeal Arcoverde',
      district: 'Pinheiros',
      number: '10',
      city: 'São Paulo',
      state: 'SP',
      cep: '05407002',
    })
  })

  it('unknown CEP → 422 CEP_NOT_FOUND; a town-wide CEP needs a street; provider down → 503 with Retry-After', async () => {
    const fixture = await shopSetup(db, { env })
    const quote = (cep: string) =>
      fixture.shop('/shipping/quote', { method: 'POST', json: { store_id: fixture.storeId, cep } })
    const unknown = await quote('01000-999')
    expect(unknown.status).toBe(422)
    expect(await errorCode(unknown)).toBe('CEP_NOT_FOUND')
    const malformed = await quote('123')
    expect(malformed.status).toBe(400)
    const down = await quote('09999-999')
    expect(down.status).toBe(503)
    expect(down.headers.get('retry-after')).toBe('10')
    expect(await errorCode(down)).toBe('GEOCODING_UNAVAILABLE')
    // A failure is not cached: the next lookup asks the provider again.
    const before = await lookups('09999999')
    await quote('09999999')
    expect((await lookups('09999999')).viacep).toBe(before.viacep + 1)
    const town = await fixture.shop('/checkout/preview', {
      method: 'POST',
      json: {
        ...coffeeCheckout(fixture),
        fulfilment: 'delivery',
        address: { cep: '13450-000', number: '1' },
      },
    })
    expect(town.status).toBe(400)
    const fields = ((await town.json()) as { error: { fields: { path: string }[] } }).error.fields
    expect(fields.map((f) => f.path)).toContain('json.address.street')
  })
})
