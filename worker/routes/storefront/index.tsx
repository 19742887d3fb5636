import { Hono } from 'hono'
import { z } from 'zod'
import type { FormState } from '../../../portal/components/forms.tsx'
import type { MessageKey } from '../../../portal/i18n/index.ts'
import { BookError } from '../../../portal/pages/book/book.tsx'
import {
  CartView,
  CatalogView,
  CHECKOUT_FIELDS,
  type CheckoutValues,
  ProductView,
  type PublicStore,
  type Review,
  ReviewView,
  StoresList,
  type Tracked,
  TrackingStatus,
  TrackingView,
} from '../../../portal/pages/shop/shop.tsx'
import { DEFAULT_TIME_ZONE } from '../../../portal/viewer.ts'
import type { App } from '../../env.ts'
import { ApiError, notFound } from '../../errors.ts'
import { describeError, log } from '../../log.ts'
import { toApiError } from '../../middleware/errors.ts'
import { portalCsrf } from '../../middleware/portal-csrf.ts'
import type { PortalEnv } from '../../middleware/portal-env.ts'
import { portalLocale, requestTimeZone } from '../../middleware/portal-locale.ts'
import type { CartLineInput, PricedLine } from '../../services/commerce/cart.ts'
import { type CartRequest, checkout, previewCheckout } from '../../services/commerce/checkout.ts'
import {
  publicCartLines,
  publicCatalogOf,
  publicStores,
  trackOrder,
} from '../../services/commerce/public-read.ts'
import { TENANT_SLUG } from '../../services/commerce/storefront.ts'
import { parsePhone } from '../../services/customers/phone.ts'
import { errorKey } from '../portal/run.ts'
import {
  limitPublicWrites,
  type PublicPageContext,
  publicLanguage,
  renderPublicPage,
} from '../public-page.tsx'
import { cepField, couponCode } from '../shop/fields.ts'
import { clearCart, MAX_LINES, readCart, writeCart } from './cart-cookie.ts'

type ShopContext = PublicPageContext

const ID = (prefix: string) => new RegExp(`^${prefix}_[0-9a-z]{20}$`)
const KEY = /^[A-Za-z0-9-]{36}$/

/** The slug in the path, or 404 without a query (the same rule as the storefront API's header). */
function slugOf(c: ShopContext): string {
  const slug = c.req.param('slug') ?? ''
  if (!TENANT_SLUG.test(slug) || slug.length > 48) throw notFound('store')
  return slug
}

function idParam(c: ShopContext, name: string, prefix: string): string {
  const value = c.req.param(name) ?? ''
  if (!ID(prefix).test(value)) throw notFound(prefix === 'ord' ? 'order' : 'store')
  return value
}

/** The visitor's zone as Cloudflare locates them (a visitor has no saved one); else Brazil's. */
function timeOf(c: ShopContext) {
  const format = new Intl.DateTimeFormat(c.var.i18n.locale, {
    timeZone: requestTimeZone(c, DEFAULT_TIME_ZONE),
    dateStyle: 'short',
    timeStyle: 'short',
  })
  return (at: Date) => format.format(at)
}

async function storeOf(c: ShopContext, slug: string, storeId: string) {
  const { services, meta } = c.var.caller
  const stores = (await publicStores(services, meta, slug)) as PublicStore[]
  const store = stores.find((s) => s.id === storeId)
  if (!store) throw notFound('store')
  return { store, stores }
}

/** The business's name for the page header: the tenant's stores say it best (their first one's name). */
const businessOf = (stores: PublicStore[]) => stores[0]?.name ?? ''

const linesOf = (lines: PricedLine[]) =>
  lines.map((line, index) => ({
    index,
    name: line.name,
    quantity: line.quantity,
    options: line.options.map((o) => o.name),
    lineTotalCents: line.lineTotalCents,
  }))

const checkoutForm = z.object({
  fulfilment: z.enum(['delivery', 'pickup']),
  name: z.string().trim().min(1).max(120),
  phone: z.string().max(40),
  email: z.union([z.literal(''), z.email().max(254)]),
  cep: z.string().max(20).default(''),
  number: z.string().trim().max(20).default(''),
  street: z.string().trim().max(200).default(''),
  complement: z.string().trim().max(100).default(''),
  notes: z.string().trim().max(500).default(''),
  coupon: z.union([z.literal(''), couponCode]).default(''),
})

type ParsedCheckout =
  | { ok: true; values: CheckoutValues; request: Omit<CartRequest, 'storeId' | 'items'>; phone: string }
  | { ok: false; state: FormState }

/**
 * The checkout form, checked at the boundary as the API's body is: the phone through the shared
 * parser (Brazilian input understood, E.164 out), a CEP of 8 digits and a number for a delivery.
 */
function parseCheckout(body: Record<string, unknown>): ParsedCheckout {
  const values = Object.fromEntries(
    CHECKOUT_FIELDS.map((name) => [name, typeof body[name] === 'string' ? (body[name] as string) : '']),
  ) as CheckoutValues
  const errors: Record<string, MessageKey> = {}
  const parsed = checkoutForm.safeParse(values)
  if (!parsed.success) for (const issue of parsed.error.issues) errors[String(issue.path[0])] = 'form.invalid'
  const phone = parsePhone(values.phone)
  if (!phone.ok) errors.phone = 'form.invalid'
  const delivery = values.fulfilment === 'delivery'
  const cep = cepField.safeParse(values.cep)
  if (delivery && !cep.success) errors.cep = 'form.invalid'
  if (delivery && !values.number.trim()) errors.number = 'form.invalid'
  if (!parsed.success || !phone.ok || Object.keys(errors).length > 0)
    return { ok: false, state: { values, errors, message: 'error.VALIDATION_FAILED' } }
  const form = parsed.data
  return {
    ok: true,
    values,
    phone: phone.e164,
    request: {
      fulfilment: form.fulfilment,
      address:
        delivery && cep.success
          ? {
              cep: cep.data,
              number: form.number,
              street: form.street || null,
              complement: form.complement || null,
            }
          : undefined,
      coupon: form.coupon || null,
    },
  }
}

/** What the storefront services refuse that the visitor can fix on the cart page (else an error page). */
const FIXABLE = new Set([
  'STORE_CLOSED',
  'STORE_PAUSED',
  'FULFILMENT_UNAVAILABLE',
  'PRODUCT_UNAVAILABLE',
  'OUT_OF_STOCK',
  'INVALID_OPTIONS',
  'MINIMUM_ORDER',
  'OUT_OF_RANGE',
  'CEP_NOT_FOUND',
  // Campaigns: a coupon that does not apply, a discount that ran out.
  'COUPON_INVALID',
  'CAMPAIGN_EXHAUSTED',
  'GEOCODING_UNAVAILABLE',
  'PAYMENT_UNAVAILABLE',
  'VALIDATION_FAILED',
])

export function registerStorefrontPage(app: App) {
  app.use('/shop/*', portalLocale, portalCsrf)
  const shop = new Hono<PortalEnv>()

  shop.get('/shop/:slug', async (c) => {
    const slug = slugOf(c)
    publicLanguage(c)
    const stores = (await publicStores(c.var.caller.services, c.var.caller.meta, slug)) as PublicStore[]
    // One store (the usual shop): straight to its catalog.
    if (stores.length === 1 && stores[0]) return c.redirect(`/shop/${slug}/store/${stores[0].id}`, 302)
    return renderPublicPage(
      c,
      businessOf(stores),
      'shop.title',
      <StoresList base={`/shop/${slug}`} stores={stores} />,
    )
  })

  shop.get('/shop/:slug/store/:store', async (c) => {
    const slug = slugOf(c)
    const storeId = idParam(c, 'store', 'sto')
    publicLanguage(c)
    const { services, meta } = c.var.caller
    const { store, stores } = await storeOf(c, slug, storeId)
    const catalog = await publicCatalogOf(services, meta, slug, storeId)
    const cart = readCart(c, storeId)
    return renderPublicPage(
      c,
      businessOf(stores),
      'shop.title',
      <CatalogView
        base={`/shop/${slug}`}
        store={store}
        categories={catalog.categories}
        products={catalog.products}
        cart={{ count: cart.reduce((n, line) => n + line.quantity, 0) }}
        notice={c.req.query('added') === '1' ? 'shop.added' : undefined}
      />,
    )
  })

  shop.get('/shop/:slug/store/:store/product/:product', async (c) => {
    const slug = slugOf(c)
    const storeId = idParam(c, 'store', 'sto')
    publicLanguage(c)
    return renderProduct(c, slug, storeId, idParam(c, 'product', 'prd'))
  })

  /** Adds a line after pricing it (options within each group's min/max, product sold here). */
  shop.post('/shop/:slug/store/:store/cart', async (c) => {
    const slug = slugOf(c)
    const storeId = idParam(c, 'store', 'sto')
    await limitPublicWrites(c, 'shop-page')
    const body = await c.req.parseBody({ all: true })
    const options = ([] as unknown[]).concat(body.options ?? [])
    const product = typeof body.product === 'string' ? body.product : ''
    const quantity = Number(body.quantity)
    if (
      !ID('prd').test(product) ||
      !Number.isInteger(quantity) ||
      quantity < 1 ||
      quantity > 99 ||
      options.length > 30 ||
      !options.every((o) => typeof o === 'string' && ID('opt').test(o))
    )
      throw new ApiError(400, 'BAD_REQUEST', 'The form is not valid.')
    const line: CartLineInput = { productId: product, quantity, optionIds: options as string[] }
    try {
      await publicCartLines(c.var.caller.services, c.var.caller.meta, slug, storeId, [line])
    } catch (error) {
      if (
        error instanceof ApiError &&
        (error.code === 'INVALID_OPTIONS' || error.code === 'PRODUCT_UNAVAILABLE')
      )
        return renderProduct(c, slug, storeId, product, errorKey(error), 422)
      throw error
    }
    const cart = readCart(c, storeId)
    if (cart.length >= MAX_LINES) return renderProduct(c, slug, storeId, product, 'shop.cart.full', 422)
    writeCart(c, slug, storeId, [...cart, line])
    return c.redirect(`/shop/${slug}/store/${storeId}?added=1`, 303)
  })

  shop.post('/shop/:slug/store/:store/cart/remove', async (c) => {
    const slug = slugOf(c)
    const storeId = idParam(c, 'store', 'sto')
    await limitPublicWrites(c, 'shop-page')
    const index = Number((await c.req.parseBody()).line)
    const cart = readCart(c, storeId)
    writeCart(
      c,
      slug,
      storeId,
      cart.filter((_, i) => i !== index),
    )
    return c.redirect(`/shop/${slug}/store/${storeId}/cart`, 303)
  })

  shop.get('/shop/:slug/store/:store/cart', async (c) => {
    const slug = slugOf(c)
    const storeId = idParam(c, 'store', 'sto')
    publicLanguage(c)
    return renderCart(c, slug, storeId)
  })

  /** The server's preview of the order (no side effect), shown before paying. */
  shop.post('/shop/:slug/store/:store/review', async (c) => {
    const slug = slugOf(c)
    const storeId = idParam(c, 'store', 'sto')
    await limitPublicWrites(c, 'shop-page')
    const form = parseCheckout(await c.req.parseBody())
    if (!form.ok) return renderCart(c, slug, storeId, form.state, 400)
    return renderReview(c, slug, storeId, form.values, form.request, crypto.randomUUID())
  })

  /**
   * Pays: the one checkout of the storefront API (same service), with the totals the visitor saw
   * as the expected ones and the review's key as the idempotency key (a double tap is one order).
   * Changed totals show the review again with the new amounts.
   */
  shop.post('/shop/:slug/store/:store/place', async (c) => {
    const slug = slugOf(c)
    const storeId = idParam(c, 'store', 'sto')
    await limitPublicWrites(c, 'shop-page')
    const body = await c.req.parseBody()
    const form = parseCheckout(body)
    const key = typeof body.key === 'string' && KEY.test(body.key) ? body.key : null
    const shipping = Number(body.expected_shipping)
    const total = Number(body.expected_total)
    if (!form.ok || !key || !Number.isInteger(shipping) || !Number.isInteger(total))
      throw new ApiError(400, 'BAD_REQUEST', 'The form is not valid.')
    const items = readCart(c, storeId)
    if (items.length === 0) return c.redirect(`/shop/${slug}/store/${storeId}/cart`, 303)
    const { services, meta } = c.var.caller
    try {
      const placed = await checkout(
        services,
        meta,
        slug,
        {
          storeId,
          items,
          ...form.request,
          customer: { name: form.values.name.trim(), phone: form.phone, email: form.values.email || null },
          notes: form.values.notes.trim() || null,
          expected: { shippingCents: shipping, totalCents: total },
        },
        `page-${key}`,
      )
      clearCart(c, slug)
      return c.redirect(
        `/shop/${slug}/order/${placed.orderId}?token=${placed.trackingToken ?? ''}&new=1`,
        303,
      )
    } catch (error) {
      if (error instanceof ApiError && error.code === 'PRICE_CHANGED')
        return renderReview(
          c,
          slug,
          storeId,
          form.values,
          form.request,
          crypto.randomUUID(),
          'shop.review.changed',
        )
      if (error instanceof ApiError && FIXABLE.has(error.code))
        return renderCart(c, slug, storeId, { values: form.values, message: errorKey(error) }, error.status)
      throw error
    }
  })

  shop.get('/shop/:slug/order/:order', async (c) => {
    const slug = slugOf(c)
    const orderId = idParam(c, 'order', 'ord')
    publicLanguage(c)
    const order = await tracked(c, slug, orderId)
    return renderPublicPage(
      c,
      order.storeName,
      'shop.order.heading',
      <TrackingView
        order={order}
        statusUrl={statusUrl(slug, orderId, c.req.query('token') ?? '')}
        time={timeOf(c)}
        justPlaced={c.req.query('new') === '1'}
      />,
    )
  })

  /** The status fragment the tracking page polls. */
  shop.get('/shop/:slug/order/:order/status', async (c) => {
    const slug = slugOf(c)
    const orderId = idParam(c, 'order', 'ord')
    const order = await tracked(c, slug, orderId)
    const fragment = (
      <TrackingStatus
        order={order}
        statusUrl={statusUrl(slug, orderId, c.req.query('token') ?? '')}
        time={timeOf(c)}
      />
    )
    return c.html(await fragment.toString())
  })

  /** Errors are pages in the visitor's language, never the API's envelope. */
  shop.onError(async (error, c) => {
    const apiError = toApiError(error)
    if (apiError.status >= 500) log('error', 'storefront page error', describeError(error))
    const slug = c.req.param('slug') ?? ''
    for (const [name, value] of Object.entries(apiError.headers ?? {})) c.header(name, value)
    return renderPublicPage(
      c,
      '',
      'book.error.title',
      <BookError message={errorKey(apiError)} startOver={TENANT_SLUG.test(slug) ? `/shop/${slug}` : '/'} />,
      apiError.status,
    )
  })

  app.route('/', shop)
}

const statusUrl = (slug: string, orderId: string, token: string) =>
  `/shop/${slug}/order/${orderId}/status?token=${encodeURIComponent(token)}`

async function tracked(c: ShopContext, slug: string, orderId: string): Promise<Tracked> {
  const token = c.req.query('token') ?? ''
  const order = await trackOrder(c.var.caller.services, c.var.caller.meta, slug, orderId, token)
  return {
    ...order,
    pixCode: order.payment.pixCode,
    history: order.history.map((step) => ({ status: step.status as Tracked['status'], at: step.at })),
  }
}

async function renderProduct(
  c: ShopContext,
  slug: string,
  storeId: string,
  productId: string,
  message?: MessageKey,
  status = 200,
) {
  const { services, meta } = c.var.caller
  const { stores } = await storeOf(c, slug, storeId)
  const catalog = await publicCatalogOf(services, meta, slug, storeId)
  const product = catalog.products.find((p) => p.id === productId)
  if (!product) throw notFound('product')
  return renderPublicPage(
    c,
    businessOf(stores),
    'shop.title',
    <ProductView storeBase={`/shop/${slug}/store/${storeId}`} product={product} message={message} />,
    status,
  )
}

async function renderCart(c: ShopContext, slug: string, storeId: string, state?: FormState, status = 200) {
  const { services, meta } = c.var.caller
  const { store, stores } = await storeOf(c, slug, storeId)
  const items = readCart(c, storeId)
  let lines: PricedLine[] = []
  let message = state?.message
  if (items.length > 0) {
    try {
      lines = (await publicCartLines(services, meta, slug, storeId, items)).lines
    } catch (error) {
      // A product stopped being sold since it was added: start the cart again, saying why.
      if (!(error instanceof ApiError) || error.status >= 500) throw error
      clearCart(c, slug)
      message = 'shop.cart.reset'
    }
  }
  return renderPublicPage(
    c,
    businessOf(stores),
    'shop.cart.title',
    <CartView
      storeBase={`/shop/${slug}/store/${storeId}`}
      store={store}
      lines={linesOf(lines)}
      subtotalCents={lines.reduce((sum, line) => sum + line.lineTotalCents, 0)}
      state={{ ...state, message }}
    />,
    status,
  )
}

async function renderReview(
  c: ShopContext,
  slug: string,
  storeId: string,
  values: CheckoutValues,
  request: Omit<CartRequest, 'storeId' | 'items'>,
  key: string,
  message?: MessageKey,
) {
  const { services, meta } = c.var.caller
  const items = readCart(c, storeId)
  if (items.length === 0) return c.redirect(`/shop/${slug}/store/${storeId}/cart`, 303)
  let preview: Awaited<ReturnType<typeof previewCheckout>>
  try {
    preview = await previewCheckout(services, meta, slug, { storeId, items, ...request })
  } catch (error) {
    if (!(error instanceof ApiError) || !FIXABLE.has(error.code)) throw error
    const fields = error.fields?.some((f) => f.path.endsWith('street'))
      ? { street: 'form.invalid' as const }
      : error.code === 'COUPON_INVALID'
        ? { coupon: 'form.invalid' as const }
        : {}
    return renderCart(c, slug, storeId, { values, errors: fields, message: errorKey(error) }, error.status)
  }
  const { stores } = await storeOf(c, slug, storeId)
  const review: Review = {
    lines: linesOf(preview.lines),
    subtotalCents: preview.subtotalCents,
    shippingCents: preview.shippingCents,
    discounts: preview.discounts.map((d) => ({ name: d.name, amountCents: d.amountCents })),
    totalCents: preview.totalCents,
    preorder: preview.preorder,
    outOfStock: preview.warnings.some((w) => w.code === 'out_of_stock'),
    address: preview.address,
  }
  return renderPublicPage(
    c,
    businessOf(stores),
    'shop.review.title',
    <ReviewView
      storeBase={`/shop/${slug}/store/${storeId}`}
      review={review}
      values={values}
      idempotencyKey={key}
      message={message}
    />,
  )
}
