import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { shopSetup } from '../../helpers/commerce.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const hidden = (html: string) =>
  Object.fromEntries(
    [...html.matchAll(/<input type="hidden" name="([a-z_]+)" value="([^"]*)"/g)].map((m) => [
      m[1] as string,
      (m[2] as string).replace(/&amp;/g, '&'),
    ]),
  )

const CUSTOMER = { name: 'Maria Souza', phone: '(11) 98765-4321', email: '', notes: '', fulfilment: 'pickup' }

/** A shop with a 10 % automatic campaign and a R$ 5 coupon; a visitor with 3 coffees (R$ 30) in the cart. */
async function shopper(acceptLanguage: string) {
  const fixture = await shopSetup(db)
  await db.owner(
    `insert into commerce_campaigns (id, tenant_id, name, code, target, kind, value, starts_at) values
       ($1, $3, 'Semana do café', null, 'order', 'percent', 10, now() - interval '1 day'),
       ($2, $3, 'Cupom de boas-vindas', 'BEMVINDO', 'order', 'fixed', 500, now() - interval '1 day')`,
    [newId('cmp'), newId('cmp'), fixture.tenant.tenantId],
  )
  const visitor = portalClient(db, { acceptLanguage })
  const storeBase = `/shop/${fixture.tenant.slug}/store/${fixture.storeId}`
  await visitor.request(storeBase)
  await visitor.request(`${storeBase}/cart`, { form: { product: fixture.coffee, quantity: '3' } })
  return { fixture, visitor, storeBase }
}

describe('the storefront coupon', () => {
  it('shows each discount in the review and charges the discounted total', async () => {
    const { fixture, visitor, storeBase } = await shopper('pt-BR')
    const cart = await (await visitor.request(`${storeBase}/cart`)).text()
    expect(textOf(cart)).toContain('Cupom (opcional)')
    const review = await visitor.request(`${storeBase}/review`, { form: { ...CUSTOMER, coupon: 'bemvindo' } })
    expect(review.status).toBe(200)
    const html = await review.text()
    const text = textOf(html)
    // R$ 30 − 10 % (3,00) − 5,00 = 22,00
    expect(text).toMatch(/Desconto: Semana do café −R\$\s3,00/)
    expect(text).toMatch(/Desconto: Cupom de boas-vindas −R\$\s5,00/)
    expect(text).toMatch(/Total R\$\s22,00/)
    expect(text).not.toMatch(/cmp_/)
    const placed = await visitor.request(`${storeBase}/place`, { form: hidden(html) })
    expect(placed.status).toBe(303)
    const [order] = await db.owner<{ discount_cents: number; total_cents: number }>(
      'select discount_cents, total_cents from commerce_orders where tenant_id = $1',
      [fixture.tenant.tenantId],
    )
    expect(order).toEqual({ discount_cents: 800, total_cents: 2200 })
  })

  it('an unknown coupon comes back to the cart with the error beside the field, in English too', async () => {
    const { visitor, storeBase } = await shopper('en')
    const refused = await visitor.request(`${storeBase}/review`, { form: { ...CUSTOMER, coupon: 'NOPE1' } })
    expect(refused.status).toBe(422)
    const html = await refused.text()
    expect(textOf(html)).toContain('This coupon cannot be used for this order.')
    expect(html).toMatch(/<input[^>]*name="coupon"[^>]*value="NOPE1"[^>]*aria-invalid="true"/)
    // Without a coupon the automatic campaign still applies.
    const review = textOf(
      await (await visitor.request(`${storeBase}/review`, { form: { ...CUSTOMER, coupon: '' } })).text(),
    )
    expect(review).toMatch(/Discount: Semana do café −R\$3\.00/)
  })
})
