import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { coffeeCheckout, paidOrder, postCheckout, shopSetup } from '../../helpers/commerce.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember } from '../../helpers/fixtures.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'
import { type LivePage, livePage, openEvents } from '../../helpers/realtime.ts'

let db: TestDatabase
const pages: LivePage[] = []
beforeAll(async () => {
  db = await createTestDatabase()
})
afterEach(() => {
  for (const page of pages.splice(0)) page.close()
})

type Role = 'owner' | 'admin' | 'analyst' | 'viewer'

/** A shop with one paid order (2 coffees, R$ 20,00) and one waiting for payment; a signed-in member. */
async function open(role: Role = 'owner', lang = 'pt-BR', modules = ['commerce']) {
  const fixture = await shopSetup(db)
  const paid = await paidOrder(db.env, db, fixture, 2)
  const placed = await postCheckout(fixture, coffeeCheckout(fixture, 1))
  expect(placed.status).toBe(201)
  const { order_id: pending } = (await placed.json()) as { order_id: string }
  if (modules.join() !== 'commerce')
    await db.owner('update plans set modules = $2 where id = $1', [fixture.tenant.planId, modules])
  const member = await createMember(db, fixture.tenant.tenantId, role)
  const browser = portalClient(db, { acceptLanguage: lang })
  expect((await browser.login(member.email)).status).toBe(303)
  return { fixture, paid, pending, browser }
}

const statusOf = async (id: string) =>
  (await db.owner<{ status: string }>('select status from commerce_orders where id = $1', [id]))[0]?.status
const locationOf = (response: Response) => response.headers.get('location') ?? ''
const code = (id: string) => id.slice(-6).toUpperCase()

describe('/app/commerce: the orders board', () => {
  it('shows open orders by status with money in reais, no ids, live refresh and the menu entry', async () => {
    const { browser, paid, pending } = await open()
    const page = await browser.request('/app/commerce')
    expect(page.status).toBe(200)
    const html = await page.text()
    const text = textOf(html)
    expect(text).toContain('Pedidos')
    expect(text).toContain('Novos (pagos) (1)')
    expect(text).toContain('Aguardando pagamento (1)')
    expect(text).toContain(`Pedido ${code(paid)}`)
    expect(text).toContain(`Pedido ${code(pending)}`)
    expect(text).toContain('Maria Silva')
    expect(text).toMatch(/R\$\s20,00/)
    expect(text).toContain('Retirada')
    // Times in the member's zone (the tenant's, else São Paulo), never the request's.
    expect(text).toContain('America/Sao_Paulo')
    // The paid order's next move is on its card; cancelling is only on the order's page.
    expect(text).toContain('Aceitar')
    expect(text).not.toMatch(/\b(ord|sto|prd|ten|cus)_[0-9a-z]{20}\b/)
    expect(html).toContain('data-live="orders"')
    expect(html).toContain('live:orders')
    expect(html).toContain('live:poll')
    expect(html).toContain('href="/app/commerce"')
  })

  it('lists one status through the filter (the phone view), finished orders included', async () => {
    const { browser, paid, pending } = await open()
    const onlyPaid = textOf(await (await browser.request('/app/commerce?status=paid')).text())
    expect(onlyPaid).toContain(`Pedido ${code(paid)}`)
    expect(onlyPaid).not.toContain(`Pedido ${code(pending)}`)
    const none = textOf(await (await browser.request('/app/commerce?status=delivered')).text())
    expect(none).toContain('Nenhum pedido aqui.')
    // An unknown status is the open board, not an error.
    const board = await browser.request('/app/commerce?status=nonsense')
    expect(board.status).toBe(200)
    expect(textOf(await board.text())).toContain(`Pedido ${code(pending)}`)
  })

  it('speaks English with dollars-style separators for reais', async () => {
    const { browser } = await open('owner', 'en')
    const text = textOf(await (await browser.request('/app/commerce')).text())
    expect(text).toContain('New (paid) (1)')
    expect(text).toContain('Waiting for payment (1)')
    expect(text).toMatch(/R\$\s?20\.00/)
    expect(text).toContain('Accept')
  })
})

describe('/app/commerce/orders/:id: one order and its moves', () => {
  it('shows items, totals, customer, pickup and payment in words, and moves it along its transitions', async () => {
    const { browser, fixture, paid } = await open()
    const page = await browser.request(`/app/commerce/orders/${paid}`)
    expect(page.status).toBe(200)
    const text = textOf(await page.text())
    expect(text).toContain(`Pedido ${code(paid)}`)
    expect(text).toContain('2 × Café')
    expect(text).toMatch(/Subtotal R\$\s20,00/)
    expect(text).toMatch(/Total R\$\s20,00/)
    expect(text).toContain('Maria Silva')
    expect(text).toContain('+5511912345678')
    expect(text).toContain('O cliente retira na loja.')
    expect(text).toContain('Pagamento: Pago')
    expect(text).toContain('Pago, novo')
    expect(text).toContain('pelo provedor de pagamento')
    expect(text).not.toMatch(/\b(ord|sto|prd|pay|cus)_[0-9a-z]{20}\b/)

    const accept = await browser.request(`/app/commerce/orders/${paid}/status`, {
      form: { to: 'accepted', back: 'board' },
    })
    expect(accept.status).toBe(303)
    expect(locationOf(accept)).toBe('/app/commerce?done=moved')
    expect(await statusOf(paid)).toBe('accepted')
    for (const to of ['preparing', 'ready_for_pickup', 'delivered']) {
      const moved = await browser.request(`/app/commerce/orders/${paid}/status`, { form: { to } })
      expect(moved.status).toBe(303)
      expect(locationOf(moved)).toBe(`/app/commerce/orders/${paid}?done=moved`)
      expect(await statusOf(paid)).toBe(to)
    }
    const done = textOf(await (await browser.request(`/app/commerce/orders/${paid}?done=moved`)).text())
    expect(done).toContain('Pedido atualizado; o cliente foi avisado.')
    expect(done).toContain('Entregue')
    expect(done).toContain('pela equipe')
    expect(done).not.toContain('Cancelar pedido')
    // Each move is recorded with who made it, and the customer was told once per status.
    const [events] = await db.owner<{ n: number }>(
      `select count(*)::int as n from commerce_order_events where order_id = $1 and actor_type = 'member'`,
      [paid],
    )
    expect(events?.n).toBe(4)
    const [told] = await db.owner<{ n: number }>(
      `select count(*)::int as n from outbound_messages where tenant_id = $1 and idempotency_key like $2`,
      [fixture.tenant.tenantId, `commerce.order:${paid}:%`],
    )
    expect(told?.n).toBe(4)
  })

  it('refuses a move the status does not allow with a clear message, and bad input without a 500', async () => {
    const { browser, paid, pending } = await open()
    const early = await browser.request(`/app/commerce/orders/${paid}/status`, { form: { to: 'delivered' } })
    expect(early.status).toBe(303)
    expect(locationOf(early)).toBe(`/app/commerce/orders/${paid}?error=INVALID_TRANSITION`)
    expect(await statusOf(paid)).toBe('paid')
    const shown = textOf(await (await browser.request(locationOf(early))).text())
    expect(shown).toContain('Essa mudança não é possível a partir da situação atual.')
    // A pickup never goes out for delivery.
    await browser.request(`/app/commerce/orders/${paid}/status`, { form: { to: 'accepted' } })
    await browser.request(`/app/commerce/orders/${paid}/status`, { form: { to: 'preparing' } })
    const wrongWay = await browser.request(`/app/commerce/orders/${paid}/status`, {
      form: { to: 'out_for_delivery' },
    })
    expect(locationOf(wrongWay)).toContain('error=INVALID_TRANSITION')
    // `paid` is the provider's to set; an unknown target is a validation error.
    for (const to of ['paid', 'refunded', 'shipped', '']) {
      const refused = await browser.request(`/app/commerce/orders/${pending}/status`, { form: { to } })
      expect(refused.status).toBe(303)
      expect(locationOf(refused)).toBe(`/app/commerce/orders/${pending}?error=VALIDATION_FAILED`)
    }
    expect(await statusOf(pending)).toBe('pending_payment')
    // Cancelling says why, returns the held stock and keeps the reason in the history.
    const cancelled = await browser.request(`/app/commerce/orders/${pending}/status`, {
      form: { to: 'cancelled', reason: 'Cliente desistiu' },
    })
    expect(locationOf(cancelled)).toBe(`/app/commerce/orders/${pending}?done=moved`)
    expect(await statusOf(pending)).toBe('cancelled')
    const history = textOf(await (await browser.request(`/app/commerce/orders/${pending}`)).text())
    expect(history).toContain('Cliente desistiu')
  })
})

describe('board security', () => {
  it('a viewer reads the board without buttons, and a forged move is 403 and changes nothing', async () => {
    const { browser, paid } = await open('viewer')
    const text = textOf(await (await browser.request('/app/commerce')).text())
    expect(text).toContain(`Pedido ${code(paid)}`)
    expect(text).not.toContain('Aceitar')
    const forged = await browser.request(`/app/commerce/orders/${paid}/status`, { form: { to: 'accepted' } })
    expect(forged.status).toBe(403)
    expect(await statusOf(paid)).toBe('paid')
  })

  it('an analyst may move orders (commerce.fulfil)', async () => {
    const { browser, paid } = await open('analyst')
    const moved = await browser.request(`/app/commerce/orders/${paid}/status`, { form: { to: 'accepted' } })
    expect(moved.status).toBe(303)
    expect(await statusOf(paid)).toBe('accepted')
  })

  it('another tenant’s order is 404 like an unknown one, to read and to move', async () => {
    const mine = await open()
    const other = await open()
    for (const path of [
      `/app/commerce/orders/${other.paid}`,
      '/app/commerce/orders/ord_00000000000000000000',
      '/app/commerce/orders/not-an-id',
    ]) {
      expect((await mine.browser.request(path)).status).toBe(404)
      expect((await mine.browser.request(`${path}/status`, { form: { to: 'accepted' } })).status).toBe(404)
    }
    expect(await statusOf(other.paid)).toBe('paid')
  })

  it('a plan without the module is 403 with no menu entry', async () => {
    const { browser, paid } = await open('owner', 'pt-BR', ['metrics'])
    const board = await browser.request('/app/commerce')
    expect(board.status).toBe(403)
    expect(await board.text()).toContain('Comércio não está no seu plano')
    expect((await browser.request(`/app/commerce/orders/${paid}`)).status).toBe(403)
    const moved = await browser.request(`/app/commerce/orders/${paid}/status`, { form: { to: 'accepted' } })
    expect(moved.status).toBe(403)
    expect(await statusOf(paid)).toBe('paid')
    expect(await (await browser.request('/app/settings')).text()).not.toContain('href="/app/commerce"')
  })

  it('refuses a move without the CSRF token, and sends the signed-out to the login', async () => {
    const { browser, paid } = await open()
    const forged = await browser.request(`/app/commerce/orders/${paid}/status`, {
      form: { to: 'accepted' },
      withoutToken: true,
    })
    expect(forged.status).toBe(403)
    expect(await statusOf(paid)).toBe('paid')
    const stranger = portalClient(db)
    const away = await stranger.request('/app/commerce')
    expect(away.status).toBe(303)
    expect(locationOf(away)).toContain('/app/login')
  })
})

describe('the board hears orders live', () => {
  it('a new order and a move reach the tenant’s subscribed pages only', async () => {
    const { browser, fixture, paid } = await open()
    const page = livePage(await openEvents(browser, 'orders'))
    pages.push(page)
    const other = await open()
    const stranger = livePage(await openEvents(other.browser, 'orders'))
    pages.push(stranger)

    const placed = await postCheckout(fixture, coffeeCheckout(fixture, 1))
    expect(placed.status).toBe(201)
    const { order_id: orderId } = (await placed.json()) as { order_id: string }
    expect(await page.next()).toMatchObject({ type: 'commerce.order', orderId, topics: ['orders'] })
    await browser.request(`/app/commerce/orders/${paid}/status`, { form: { to: 'accepted' } })
    expect(await page.next()).toMatchObject({ orderId: paid, status: 'accepted' })
    await stranger.silentFor(300)
  })
})
