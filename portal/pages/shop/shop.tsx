import type { OrderAddress, OrderStatus } from '../../../db/schema/index.ts'
import { CsrfField, Field, type FieldErrors, type FormState, formValue } from '../../components/forms.tsx'
import { type I18n, type MessageKey, useI18n } from '../../i18n/index.ts'

/**
 * The public storefront (`/shop/<tenant-slug>`), phone first: the store, its catalog by category,
 * a product's options, the cart with the checkout form, the review of the server's totals, and
 * the tracking page. Plain links and forms (htmx boosts them; they work without it). Nothing but
 * what the storefront API shows: no ids on screen, the customer's first name only.
 */

export const money = (i18n: I18n, cents: number) =>
  i18n.number(cents / 100, { style: 'currency', currency: 'BRL' })

export type PublicStore = {
  id: string
  name: string
  street: string
  city: string
  state: string
  status: 'open' | 'closed' | 'paused'
  openNow: boolean
  preorderWhenClosed: boolean
  pickup: boolean
  delivery: boolean
  minimumOrderCents: number
  openingHours: Partial<Record<string, [string, string][]>>
}

export type OptionGroup = {
  id: string
  name: string
  minChoices: number
  maxChoices: number
  options: { id: string; name: string; priceDeltaCents: number }[]
}

export type PublicProduct = {
  id: string
  name: string
  description: string | null
  priceCents: number
  categoryId: string | null
  inStock: boolean
  optionGroups: OptionGroup[]
}

export type CartLine = {
  index: number
  name: string
  quantity: number
  options: string[]
  lineTotalCents: number
}

function Alert(props: { message?: MessageKey; kind?: 'error' | 'success' | 'info' }) {
  const { t } = useI18n()
  if (!props.message) return null
  return (
    <p
      class={`alert ${props.kind ?? 'error'}`}
      role={props.kind === 'error' || !props.kind ? 'alert' : 'status'}
    >
      {t(props.message)}
    </p>
  )
}

/** Open now, closed (taking pre-orders or not) or paused, in words. */
export function StoreState(props: { store: PublicStore }) {
  const { t } = useI18n()
  const { store } = props
  if (store.status === 'paused') return <span class="badge s-canceled">{t('shop.state.paused')}</span>
  if (store.openNow) return <span class="badge s-active">{t('shop.state.open')}</span>
  return (
    <span class="badge s-pending">
      {t(store.preorderWhenClosed ? 'shop.state.preorder' : 'shop.state.closed')}
    </span>
  )
}

const WEEKDAY_ORDER = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const

/** The weekly hours, one line per weekday in the visitor's language (Monday 2024-01-01 as a base). */
function Hours(props: { store: PublicStore }) {
  const i18n = useI18n()
  const weekday = new Intl.DateTimeFormat(i18n.locale, { weekday: 'long', timeZone: 'UTC' })
  const anyHours = Object.values(props.store.openingHours).some((days) => (days?.length ?? 0) > 0)
  if (!anyHours) return null
  return (
    <details class="hours">
      <summary>{i18n.t('shop.hours')}</summary>
      <dl>
        {WEEKDAY_ORDER.map((day, i) => {
          const intervals = props.store.openingHours[day] ?? []
          return (
            <>
              <dt>{weekday.format(new Date(Date.UTC(2024, 0, 1 + i)))}</dt>
              <dd>
                {intervals.length === 0
                  ? i18n.t('shop.hours.closed')
                  : intervals.map(([open, close]) => `${open}–${close}`).join(', ')}
              </dd>
            </>
          )
        })}
      </dl>
    </details>
  )
}

export function StoresList(props: { base: string; stores: PublicStore[] }) {
  const { t } = useI18n()
  if (props.stores.length === 0) return <p class="card">{t('shop.noStores')}</p>
  return (
    <section aria-labelledby="stores-title">
      <h1 id="stores-title">{t('shop.stores')}</h1>
      <ul class="choices">
        {props.stores.map((store) => (
          <li>
            <a class="card choice" href={`${props.base}/store/${store.id}`}>
              <strong>{store.name}</strong>
              <span class="muted">
                {store.street}, {store.city}/{store.state}
              </span>
              <span>
                <StoreState store={store} />
              </span>
            </a>
          </li>
        ))}
      </ul>
    </section>
  )
}

/** The store's header: name, state, hours, what it offers and its minimum order. */
function StoreHeader(props: { store: PublicStore }) {
  const i18n = useI18n()
  const { t } = i18n
  const { store } = props
  const ways = [store.delivery ? t('shop.delivery') : null, store.pickup ? t('shop.pickup') : null]
    .filter(Boolean)
    .join(' · ')
  return (
    <header class="store-head">
      <h1 id="store-title">{store.name}</h1>
      <p>
        <StoreState store={store} /> <span class="muted small">{ways}</span>
      </p>
      {store.minimumOrderCents > 0 && (
        <p class="muted small">{t('shop.minimum', { amount: money(i18n, store.minimumOrderCents) })}</p>
      )}
      <Hours store={store} />
    </header>
  )
}

/** The catalog by category (products without one last); a product links to its page. */
export function CatalogView(props: {
  base: string
  store: PublicStore
  categories: { id: string; name: string }[]
  products: PublicProduct[]
  cart: { count: number }
  message?: MessageKey
  notice?: MessageKey
}) {
  const i18n = useI18n()
  const { t } = i18n
  const sections = [
    ...props.categories.map((category) => ({
      name: category.name,
      products: props.products.filter((p) => p.categoryId === category.id),
    })),
    {
      name: props.categories.length ? t('shop.otherProducts') : t('shop.products'),
      products: props.products.filter((p) => !props.categories.some((c) => c.id === p.categoryId)),
    },
  ].filter((section) => section.products.length > 0)
  const storeBase = `${props.base}/store/${props.store.id}`
  return (
    <section aria-labelledby="store-title">
      <p>
        <a href={props.base}>← {t('shop.allStores')}</a>
      </p>
      <StoreHeader store={props.store} />
      <Alert message={props.message} />
      <Alert message={props.notice} kind="success" />
      {props.store.status === 'paused' && <p class="alert info">{t('error.STORE_PAUSED')}</p>}
      {sections.length === 0 && <p class="card">{t('shop.noProducts')}</p>}
      {sections.map((section) => (
        <section class="category">
          <h2>{section.name}</h2>
          <ul class="choices products">
            {section.products.map((product) => (
              <li>
                <a
                  class={product.inStock ? 'card choice' : 'card choice sold-out'}
                  href={`${storeBase}/product/${product.id}`}
                >
                  <strong>{product.name}</strong>
                  {product.description && <span class="small muted">{product.description}</span>}
                  <span>
                    {money(i18n, product.priceCents)}
                    {product.optionGroups.length > 0 ? ` · ${t('shop.hasOptions')}` : ''}
                    {product.inStock ? '' : ` · ${t('shop.soldOut')}`}
                  </span>
                </a>
              </li>
            ))}
          </ul>
        </section>
      ))}
      {props.cart.count > 0 && (
        <p class="cart-bar">
          <a class="button" href={`${storeBase}/cart`}>
            {t('shop.cart.open', { count: props.cart.count })}
          </a>
        </p>
      )}
    </section>
  )
}

/** How many choices a group takes, in words. */
function groupRule(t: I18n['t'], group: OptionGroup): string {
  if (group.minChoices === group.maxChoices) return t('shop.options.exactly', { n: group.minChoices })
  if (group.minChoices === 0) return t('shop.options.upTo', { n: group.maxChoices })
  return t('shop.options.between', { min: group.minChoices, max: group.maxChoices })
}

/**
 * A product with its option groups. A group of exactly one choice is a set of radio buttons (the
 * browser enforces it); others are checkboxes, whose min/max the server re-checks on adding.
 */
export function ProductView(props: { storeBase: string; product: PublicProduct; message?: MessageKey }) {
  const i18n = useI18n()
  const { t } = i18n
  const { product } = props
  return (
    <section aria-labelledby="product-title">
      <p>
        <a href={props.storeBase}>← {t('shop.back')}</a>
      </p>
      <h1 id="product-title">{product.name}</h1>
      {product.description && <p>{product.description}</p>}
      <p>
        <strong>{money(i18n, product.priceCents)}</strong>
      </p>
      <Alert message={props.message} />
      {product.inStock ? (
        <form method="post" action={`${props.storeBase}/cart`}>
          <CsrfField />
          <input type="hidden" name="product" value={product.id} />
          {product.optionGroups.map((group) => {
            const single = group.minChoices === 1 && group.maxChoices === 1
            return (
              <fieldset class="options">
                <legend>
                  {group.name} <span class="muted small">({groupRule(t, group)})</span>
                </legend>
                {group.options.map((option, i) => (
                  <label class="check">
                    <input
                      type={single ? 'radio' : 'checkbox'}
                      name="options"
                      value={option.id}
                      required={single}
                      checked={single && i === 0}
                    />{' '}
                    {option.name}
                    {option.priceDeltaCents !== 0 && (
                      <span class="muted"> + {money(i18n, option.priceDeltaCents)}</span>
                    )}
                  </label>
                ))}
              </fieldset>
            )
          })}
          <div class="field">
            <label for="f-quantity">{t('shop.quantity')}</label>
            <input
              id="f-quantity"
              name="quantity"
              type="number"
              min="1"
              max="99"
              value="1"
              inputmode="numeric"
              required
            />
          </div>
          <p class="actions">
            <button type="submit">{t('shop.add')}</button>
          </p>
        </form>
      ) : (
        <p class="alert info">{t('shop.soldOut')}</p>
      )}
    </section>
  )
}

export type CheckoutValues = {
  fulfilment: 'delivery' | 'pickup'
  name: string
  phone: string
  email: string
  cep: string
  number: string
  street: string
  complement: string
  notes: string
  /** A coupon code (campaigns), empty for none. */
  coupon: string
}

export const CHECKOUT_FIELDS = [
  'fulfilment',
  'name',
  'phone',
  'email',
  'cep',
  'number',
  'street',
  'complement',
  'notes',
  'coupon',
] as const

function CartLines(props: { lines: CartLine[]; removeAction?: string }) {
  const i18n = useI18n()
  const { t } = i18n
  return (
    <ul class="cart-lines">
      {props.lines.map((line) => (
        <li class="card">
          <span>
            <strong>
              {line.quantity} × {line.name}
            </strong>
            {line.options.length > 0 && <span class="small muted"> · {line.options.join(', ')}</span>}
          </span>
          <span class="line-end">
            {money(i18n, line.lineTotalCents)}
            {props.removeAction && (
              <form method="post" action={props.removeAction}>
                <CsrfField />
                <input type="hidden" name="line" value={String(line.index)} />
                <button
                  type="submit"
                  class="link"
                  aria-label={t('shop.cart.removeLine', { name: line.name })}
                >
                  {t('shop.cart.remove')}
                </button>
              </form>
            )}
          </span>
        </li>
      ))}
    </ul>
  )
}

/** The cart and the checkout form: who orders, pickup or delivery (CEP and number), notes. */
export function CartView(props: {
  storeBase: string
  store: PublicStore
  lines: CartLine[]
  subtotalCents: number
  state?: FormState
}) {
  const i18n = useI18n()
  const { t } = i18n
  const errors: FieldErrors = props.state?.errors ?? {}
  const value = (name: string) => formValue(props.state, name)
  const fulfilment = value('fulfilment') ?? (props.store.delivery ? 'delivery' : 'pickup')
  return (
    <section aria-labelledby="cart-title">
      <p>
        <a href={props.storeBase}>← {t('shop.keepShopping')}</a>
      </p>
      <h1 id="cart-title">{t('shop.cart.title')}</h1>
      <Alert message={props.state?.message} />
      {props.lines.length === 0 ? (
        <p class="card">{t('shop.cart.empty')}</p>
      ) : (
        <>
          <CartLines lines={props.lines} removeAction={`${props.storeBase}/cart/remove`} />
          <p class="total">
            {t('shop.subtotal')}: <strong>{money(i18n, props.subtotalCents)}</strong>
          </p>
          <form method="post" action={`${props.storeBase}/review`}>
            <CsrfField />
            <fieldset class="options">
              <legend>{t('shop.fulfilment')}</legend>
              {props.store.delivery && (
                <label class="check">
                  <input
                    type="radio"
                    name="fulfilment"
                    value="delivery"
                    checked={fulfilment === 'delivery'}
                  />{' '}
                  {t('shop.delivery')}
                </label>
              )}
              {props.store.pickup && (
                <label class="check">
                  <input type="radio" name="fulfilment" value="pickup" checked={fulfilment === 'pickup'} />{' '}
                  {t('shop.pickupAt', { street: props.store.street })}
                </label>
              )}
            </fieldset>
            <Field
              name="name"
              label="shop.name"
              required
              autocomplete="name"
              value={value('name')}
              errors={errors}
            />
            <Field
              name="phone"
              label="shop.phone"
              type="tel"
              required
              autocomplete="tel"
              hint="shop.phoneHint"
              value={value('phone')}
              errors={errors}
            />
            <Field
              name="email"
              label="shop.email"
              type="email"
              autocomplete="email"
              value={value('email')}
              errors={errors}
            />
            {props.store.delivery && (
              <fieldset class="address">
                <legend>{t('shop.address')}</legend>
                <p class="muted small">{t('shop.addressHint')}</p>
                <Field
                  name="cep"
                  label="shop.cep"
                  inputmode="numeric"
                  autocomplete="postal-code"
                  placeholder="01310-100"
                  value={value('cep')}
                  errors={errors}
                />
                <Field name="number" label="shop.number" value={value('number')} errors={errors} />
                <Field
                  name="street"
                  label="shop.street"
                  hint="shop.streetHint"
                  autocomplete="address-line1"
                  value={value('street')}
                  errors={errors}
                />
                <Field
                  name="complement"
                  label="shop.complement"
                  value={value('complement')}
                  errors={errors}
                />
              </fieldset>
            )}
            <Field name="notes" label="shop.notes" value={value('notes')} errors={errors} />
            <Field
              name="coupon"
              label="shop.coupon"
              value={value('coupon')}
              errors={errors}
              autocomplete="off"
            />
            <p class="actions">
              <button type="submit">{t('shop.review')}</button>
            </p>
          </form>
        </>
      )}
    </section>
  )
}

export type Review = {
  lines: CartLine[]
  subtotalCents: number
  shippingCents: number
  /** Campaigns' and the coupon's discounts, each with its name. */
  discounts: { name: string; amountCents: number }[]
  totalCents: number
  preorder: boolean
  outOfStock: boolean
  address: OrderAddress | null
}

/** The server's totals before paying, with the typed details carried to the payment in hidden fields. */
export function ReviewView(props: {
  storeBase: string
  review: Review
  values: CheckoutValues
  idempotencyKey: string
  message?: MessageKey
}) {
  const i18n = useI18n()
  const { t } = i18n
  const { review } = props
  const address = review.address
  return (
    <section aria-labelledby="review-title">
      <p>
        <a href={`${props.storeBase}/cart`}>← {t('shop.backToCart')}</a>
      </p>
      <h1 id="review-title">{t('shop.review.title')}</h1>
      <Alert message={props.message} kind="info" />
      {review.preorder && <p class="alert info">{t('shop.review.preorder')}</p>}
      {review.outOfStock && <p class="alert info">{t('shop.review.lowStock')}</p>}
      <CartLines lines={review.lines} />
      <dl class="card totals">
        <dt>{t('shop.subtotal')}</dt>
        <dd>{money(i18n, review.subtotalCents)}</dd>
        <dt>{t('shop.shipping')}</dt>
        <dd>{props.values.fulfilment === 'pickup' ? t('shop.pickup') : money(i18n, review.shippingCents)}</dd>
        {review.discounts.map((discount) => (
          <>
            <dt>{t('shop.discount', { name: discount.name })}</dt>
            <dd>−{money(i18n, discount.amountCents)}</dd>
          </>
        ))}
        <dt>{t('shop.total')}</dt>
        <dd>
          <strong>{money(i18n, review.totalCents)}</strong>
        </dd>
      </dl>
      <p>
        {address
          ? t('shop.review.deliverTo', {
              address: [
                `${address.street}, ${address.number}`,
                address.complement,
                address.district,
                `${address.city}/${address.state}`,
                `${address.cep.slice(0, 5)}-${address.cep.slice(5)}`,
              ]
                .filter(Boolean)
                .join(' · '),
            })
          : t('shop.review.pickup')}
      </p>
      <form method="post" action={`${props.storeBase}/place`}>
        <CsrfField />
        {CHECKOUT_FIELDS.map((name) => (
          <input type="hidden" name={name} value={props.values[name]} />
        ))}
        <input type="hidden" name="key" value={props.idempotencyKey} />
        <input type="hidden" name="expected_shipping" value={String(review.shippingCents)} />
        <input type="hidden" name="expected_total" value={String(review.totalCents)} />
        <p class="actions">
          <button type="submit">{t('shop.pay', { amount: money(i18n, review.totalCents) })}</button>
        </p>
      </form>
    </section>
  )
}

const TERMINAL: OrderStatus[] = ['delivered', 'cancelled', 'refunded']

export type Tracked = {
  code: string
  status: OrderStatus
  fulfilment: 'delivery' | 'pickup'
  storeName: string
  customerFirstName: string
  subtotalCents: number
  shippingCents: number
  totalCents: number
  preorder: boolean
  paymentDueAt: Date
  pixCode: string | null
  items: { name: string; quantity: number; options: string[]; lineTotalCents: number }[]
  history: { status: OrderStatus; at: Date }[]
}

/**
 * The order's status, history and, while unpaid, the PIX code to copy. It refreshes itself every
 * 5 s while the order can still change (htmx polling: the page is public, with no session for the
 * live socket), and stops once it is delivered, cancelled or refunded.
 */
export function TrackingStatus(props: { order: Tracked; statusUrl: string; time: (at: Date) => string }) {
  const i18n = useI18n()
  const { t } = i18n
  const { order } = props
  const live = !TERMINAL.includes(order.status)
  return (
    <div
      id="tracking"
      hx-get={live ? props.statusUrl : undefined}
      hx-trigger={live ? 'every 5s' : undefined}
      hx-swap="outerHTML"
    >
      <p>
        <span class={`badge order-${order.status}`} role="status">
          {t(`shop.status.${order.status}`)}
        </span>
      </p>
      {order.status === 'pending_payment' && order.pixCode && (
        <section class="card pix" aria-labelledby="pix-title">
          <h2 id="pix-title">{t('shop.pix.title')}</h2>
          <p>
            {t('shop.pix.body', {
              amount: money(i18n, order.totalCents),
              until: props.time(order.paymentDueAt),
            })}
          </p>
          <label for="pix-code">{t('shop.pix.code')}</label>
          <textarea id="pix-code" readonly rows={4} class="secret">
            {order.pixCode}
          </textarea>
          <p class="muted small">{t('shop.pix.copyHint')}</p>
        </section>
      )}
      <ol class="history">
        {order.history.map((step) => (
          <li>
            {t(`shop.status.${step.status}`)} <span class="muted small">· {props.time(step.at)}</span>
          </li>
        ))}
      </ol>
    </div>
  )
}

export function TrackingView(props: {
  order: Tracked
  statusUrl: string
  time: (at: Date) => string
  justPlaced: boolean
}) {
  const i18n = useI18n()
  const { t } = i18n
  const { order } = props
  return (
    <section aria-labelledby="order-title">
      <h1 id="order-title">{t('shop.order.title', { code: order.code })}</h1>
      {props.justPlaced && (
        <p class="alert success">{t('shop.order.placed', { name: order.customerFirstName })}</p>
      )}
      <p class="muted">
        {order.storeName} · {t(order.fulfilment === 'pickup' ? 'shop.pickup' : 'shop.delivery')}
        {order.preorder ? ` · ${t('shop.order.preorder')}` : ''}
      </p>
      <TrackingStatus order={order} statusUrl={props.statusUrl} time={props.time} />
      <CartLines lines={order.items.map((item, index) => ({ index, ...item }))} />
      <dl class="card totals">
        <dt>{t('shop.subtotal')}</dt>
        <dd>{money(i18n, order.subtotalCents)}</dd>
        <dt>{t('shop.shipping')}</dt>
        <dd>{money(i18n, order.shippingCents)}</dd>
        <dt>{t('shop.total')}</dt>
        <dd>
          <strong>{money(i18n, order.totalCents)}</strong>
        </dd>
      </dl>
      <p class="muted small">{t('shop.order.keepLink')}</p>
    </section>
  )
}
