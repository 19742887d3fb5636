import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { FAR_CEP, NEAR_CEP, paymentWebhook, providerPayments, shopSetup } from '../../helpers/commerce.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const locationOf = (response: Response) => response.headers.get('location') ?? ''
const hidden = (html: string) =>
  Object.fromEntries(
    [...html.matchAll(/<input type="hidden" name="([a-z_]+)" value="([^"]*)"/g)].map((m) => [
      m[1] as string,
      (m[2] as string).replace(/&amp;/g, '&'),
    ]),
  )

const CUSTOMER = { name: 'Maria Souza', phone: '(11) 98765-4321', email: '', notes: '' }

/** A shop with one store; a visitor who put a large pizza with cheese and a coffee in the cart. */
async function shopperWithCart(acceptLanguage = 'pt-BR') {
  const fixture = await shopSetup(db)
  const visitor = portalClient(db, { acceptLanguage })
  const base = `/shop/${fixture.tenant.slug}`
  const storeBase = `${base}/store/${fixture.storeId}`
  await visitor.request(storeBase)
  const add = (form: Record<string, string | string[]>) => visitor.request(`${storeBase}/cart`, { form })
  expect(
    (
      await add({
        product: fixture.pizza,
        quantity: '1',
        options: [fixture.sizes.large, fixture.extras.cheese],
      })
    ).status,
  ).toBe(303)
  expect((await add({ product: fixture.coffee, quantity: '2' })).status).toBe(303)
  return { fixture, visitor, base, storeBase }
}

describe('the storefront page /shop/<slug>', () => {
  it('walks store → product → cart → review (server totals) → PIX → tracking that follows the payment', async () => {
    const fixture = await shopSetup(db)
    const visitor = portalClient(db, { acceptLanguage: 'pt-BR' })
    const base = `/shop/${fixture.tenant.slug}`
    const home = await visitor.request(base)
    expect(home.status).toBe(302)
    const storeBase = `${base}/store/${fixture.storeId}`
    expect(locationOf(home)).toBe(storeBase)
    const catalog = await visitor.request(storeBase)
    expect(catalog.status).toBe(200)
    const catalogText = textOf(await catalog.text())
    expect(catalogText).toContain('Loja Paulista')
    expect(catalogText).toContain('Aberta agora')
    expect(catalogText).toMatch(/R\$\s10,00/)
    expect(catalogText).not.toContain('Antigo')
    expect(catalogText).not.toMatch(/sto_|prd_|opt_|ten_/)

    const product = await (await visitor.request(`${storeBase}/product/${fixture.pizza}`)).text()
    // One-of-one groups are radios (the browser enforces them); the others checkboxes.
    expect(product).toContain(`type="radio" name="options" value="${fixture.sizes.small}"`)
    expect(product).toContain(`type="checkbox" name="options" value="${fixture.extras.cheese}"`)
    expect(textOf(product)).toContain('até 2')
    // The server re-checks the max: three extras in a group of up to two.
    const tooMany = await visitor.request(`${storeBase}/cart`, {
      form: {
        product: fixture.pizza,
        quantity: '1',
        options: [fixture.sizes.small, fixture.extras.cheese, fixture.extras.olives, fixture.extras.bacon],
      },
    })
    expect(tooMany.status).toBe(422)
    expect(textOf(await tooMany.text())).toContain('cada grupo diz quantas escolher')
    const added = await visitor.request(`${storeBase}/cart`, {
      form: { product: fixture.pizza, quantity: '2', options: [fixture.sizes.large, fixture.extras.cheese] },
    })
    expect(added.status).toBe(303)
    expect(textOf(await (await visitor.request(locationOf(added))).text())).toContain(
      'Ver carrinho (2 itens)',
    )

    const cart = textOf(await (await visitor.request(`${storeBase}/cart`)).text())
    // (20 + 5 + 2) × 2
    expect(cart).toMatch(/2 × Pizza · Grande, Queijo R\$\s54,00/)

    const badPhone = await visitor.request(`${storeBase}/review`, {
      form: { ...CUSTOMER, phone: '123', fulfilment: 'pickup' },
    })
    expect(badPhone.status).toBe(400)
    const badPhoneHtml = await badPhone.text()
    // What was typed comes back, with the error beside the phone.
    expect(badPhoneHtml).toContain('value="Maria Souza"')
    expect(badPhoneHtml).toMatch(/<input[^>]*value="pickup"[^>]*checked/)
    expect(textOf(badPhoneHtml)).toContain('Este valor não é válido')

    const review = await visitor.request(`${storeBase}/review`, {
      form: {
        ...CUSTOMER,
        fulfilment: 'delivery',
        cep: NEAR_CEP,
        number: '500',
        street: '',
        complement: 'ap 12',
      },
    })
    expect(review.status).toBe(200)
    const reviewHtml = await review.text()
    const reviewText = textOf(reviewHtml)
    // 54.00 + R$ 5 (1.1 km); the street and city come from the CEP.
    expect(reviewText).toMatch(/Taxa de entrega R\$\s5,00/)
    expect(reviewText).toMatch(/Pagar R\$\s59,00 com PIX/)
    expect(reviewText).toContain('Rua Augusta, 500 · ap 12 · Consolação · São Paulo/SP · 01305-000')
    const fields = hidden(reviewHtml)
    expect(fields).toMatchObject({ expected_shipping: '500', expected_total: '5900', fulfilment: 'delivery' })

    const placed = await visitor.request(`${storeBase}/place`, { form: fields })
    expect(placed.status).toBe(303)
    const tracking = locationOf(placed)
    expect(tracking).toMatch(new RegExp(`^${base}/order/ord_[0-9a-z]{20}\\?token=.+&new=1$`))
    // A double tap on "pay" (same review key) is the same order.
    const again = await visitor.request(`${storeBase}/place`, { form: fields })
    expect(again.status).toBe(303)
    const orderId = /order\/(ord_[0-9a-z]{20})/.exec(tracking)?.[1] as string
    const orders = await db.owner<{
      id: string
      total_cents: number
      customer_phone: string
      address: { street: string }
    }>('select id, total_cents, customer_phone, address from commerce_orders where tenant_id = $1', [
      fixture.tenant.tenantId,
    ])
    expect(orders).toHaveLength(1)
    expect(orders[0]).toMatchObject({ id: orderId, total_cents: 5900, customer_phone: '+5511987654321' })
    expect(orders[0]?.address.street).toBe('Rua Augusta')
    // The cart is emptied once the order is placed.
    expect(textOf(await (await visitor.request(`${storeBase}/cart`)).text())).toContain(
      'Seu carrinho está vazio',
    )

    const page = await (await visitor.request(tracking)).text()
    const pageText = textOf(page)
    expect(pageText).toContain('Obrigado, Maria!')
    expect(pageText).toContain('Aguardando pagamento')
    expect(pageText).toContain('00020126')
    expect(pageText).not.toContain('Souza')
    expect(pageText).not.toMatch(/ord_|sto_|prd_/)
    expect(page).toContain('hx-trigger="every 5s"')

    const [payment] = (await providerPayments(db.env, orderId)).payments
    const paid = await paymentWebhook(db.env, fixture.tenant.slug, {
      id: String(payment?.id),
      status: 'approved',
    })
    expect(paid.status).toBe(200)
    const statusUrl = tracking.replace(/\?/, '/status?').replace('&new=1', '')
    const fragment = await visitor.request(statusUrl)
    expect(fragment.status).toBe(200)
    const fragmentText = textOf(await fragment.text())
    expect(fragmentText).toContain('Pago')
    expect(fragmentText).not.toContain('00020126')
  })

  it('refuses a changed total, an out-of-range CEP and an unknown one with the reason on the cart page', async () => {
    const { fixture, visitor, storeBase } = await shopperWithCart()
    const form = { ...CUSTOMER, fulfilment: 'delivery', number: '1', street: '', complement: '' }
    const far = await visitor.request(`${storeBase}/review`, { form: { ...form, cep: FAR_CEP } })
    expect(far.status).toBe(422)
    expect(textOf(await far.text())).toContain('fora da área de entrega')
    const unknown = await visitor.request(`${storeBase}/review`, { form: { ...form, cep: '01000-999' } })
    expect(unknown.status).toBe(422)
    expect(textOf(await unknown.text())).toContain('CEP não foi encontrado')
    const review = await visitor.request(`${storeBase}/review`, { form: { ...form, cep: NEAR_CEP } })
    const fields = hidden(await review.text())
    // What the visitor saw is not what the server computes now: the review again, with the new total.
    const changed = await visitor.request(`${storeBase}/place`, {
      form: { ...fields, expected_total: String(Number(fields.expected_total) - 100) },
    })
    expect(changed.status).toBe(200)
    const changedHtml = await changed.text()
    expect(textOf(changedHtml)).toContain('Os valores mudaram')
    expect(hidden(changedHtml).expected_total).toBe(fields.expected_total)
    expect(hidden(changedHtml).key).not.toBe(fields.key)
    const [count] = await db.owner<{ n: number }>(
      'select count(*)::int as n from commerce_orders where tenant_id = $1',
      [fixture.tenant.tenantId],
    )
    expect(count?.n).toBe(0)
  })

  it('speaks English, refuses forged posts, hides other orders and tenants without the module', async () => {
    const { fixture, visitor, base, storeBase } = await shopperWithCart('en')
    const english = textOf(await (await visitor.request(`${storeBase}?lang=en`)).text())
    expect(english).toContain('Open now')
    expect(english).toContain('View cart (3 items)')
    const forged = await visitor.request(`${storeBase}/cart`, {
      form: { product: fixture.coffee, quantity: '1' },
      withoutToken: true,
    })
    expect(forged.status).toBe(403)
    const crossSite = await visitor.request(`${storeBase}/review`, {
      form: { ...CUSTOMER, fulfilment: 'pickup' },
      headers: { 'sec-fetch-site': 'cross-site' },
    })
    expect(crossSite.status).toBe(403)

    const review = await visitor.request(`${storeBase}/review`, {
      form: { ...CUSTOMER, fulfilment: 'pickup' },
    })
    const placed = await visitor.request(`${storeBase}/place`, { form: hidden(await review.text()) })
    const tracking = locationOf(placed)
    const [, token] = /token=([^&]+)/.exec(tracking) ?? []
    const other = await shopperWithCart()
    const otherReview = await other.visitor.request(`${other.storeBase}/review`, {
      form: { ...CUSTOMER, fulfilment: 'pickup' },
    })
    const otherPlaced = locationOf(
      await other.visitor.request(`${other.storeBase}/place`, { form: hidden(await otherReview.text()) }),
    )
    const otherId = /order\/(ord_[0-9a-z]{20})/.exec(otherPlaced)?.[1]
    // This order's token on another order, and the right link under another tenant's slug: 404.
    expect((await visitor.request(`${other.base}/order/${otherId}?token=${token}`)).status).toBe(404)
    expect((await visitor.request(otherPlaced.replace(other.base, base))).status).toBe(404)
    expect((await visitor.request(`${base}/order/ord_00000000000000000000?token=x`)).status).toBe(404)

    const without = await shopSetup(db, { modules: ['calendar'] })
    const off = await visitor.request(`/shop/${without.tenant.slug}/store/${without.storeId}`)
    expect(off.status).toBe(404)
    expect(textOf(await off.text())).not.toMatch(/commerce|module/i)
    expect((await visitor.request('/shop/no-such-shop')).status).toBe(404)
    expect((await visitor.request('/shop/Bad_Slug!')).status).toBe(404)
  })

  it('groups products by category in the tenant’s order, names sorted as a Brazilian reads them', async () => {
    const fixture = await shopSetup(db)
    const t = fixture.tenant.tenantId
    const [drinks, sweets] = [newId('cat'), newId('cat')]
    // Positions say sweets after drinks, whatever their names.
    await db.owner(
      `insert into commerce_categories (id, tenant_id, name, position) values ($1, $3, 'Bebidas', 0), ($2, $3, 'Doces', 1)`,
      [drinks, sweets, t],
    )
    const products = [
      ['Zebra Cola', drinks],
      ['Água com gás', drinks],
      ['açaí na tigela', drinks],
      ['Brigadeiro', sweets],
      ['Bolo de milho', sweets],
    ] as const
    for (const [name, category] of products) {
      const id = newId('prd')
      await db.owner(
        `insert into commerce_products (id, tenant_id, name, price_cents, category_id) values ($1, $2, $3, 500, $4)`,
        [id, t, name, category],
      )
      await db.owner(
        `insert into commerce_stock (tenant_id, store_id, product_id, on_hand) values ($1, $2, $3, 5)`,
        [t, fixture.storeId, id],
      )
    }
    const expected = [
      'açaí na tigela',
      'Água com gás',
      'Zebra Cola',
      'Bolo de milho',
      'Brigadeiro',
      'Café',
      'Pizza',
    ]
    const visitor = portalClient(db, { acceptLanguage: 'pt-BR' })
    const text = textOf(
      await (await visitor.request(`/shop/${fixture.tenant.slug}/store/${fixture.storeId}`)).text(),
    )
    const at = (label: string) => text.indexOf(label)
    expect(at('Bebidas')).toBeGreaterThan(-1)
    expect(at('Bebidas')).toBeLessThan(at('açaí na tigela'))
    expect(at('Zebra Cola')).toBeLessThan(at('Doces'))
    expect(at('Brigadeiro')).toBeLessThan(at('Mais'))
    const shown = expected.map(at)
    expect(shown.every((position) => position > -1)).toBe(true)
    expect(shown).toEqual([...shown].sort((a, b) => a - b))
    // The public API lists them in the same order.
    const api = (await (await fixture.shop(`/catalog?store=${fixture.storeId}`)).json()) as {
      products: { name: string }[]
    }
    expect(api.products.map((p) => p.name)).toEqual([
      'açaí na tigela',
      'Água com gás',
      'Bolo de milho',
      'Brigadeiro',
      'Café',
      'Pizza',
      'Zebra Cola',
    ])
  })
})
