import type { Child } from 'hono/jsx'
import {
  type Fulfilment,
  ORDER_STATUSES,
  type OrderAddress,
  type OrderStatus,
  type PaymentStatus,
} from '../../../db/schema/index.ts'
import { Alert, Badge, CsrfField, Pager } from '../../components/forms.tsx'
import type { I18n, MessageKey } from '../../i18n/index.ts'
import { useI18n } from '../../i18n/index.ts'
import { money } from '../shop/shop.tsx'

/**
 * Commerce's staff pages (`/app/commerce`): the orders board (a column per open status on a wide
 * screen, one list under the other on a phone, any status through the filter) and one order's
 * page with its items, totals, customer, delivery, payment and history, and the moves the team
 * may make. Data and moves come from the API's verbs (worker/routes/portal/app/commerce.tsx);
 * these components only draw.
 */

/** The board's columns, in the order an order goes through them; "ready" holds both last steps. */
export const BOARD_COLUMNS = [
  { key: 'pending_payment', statuses: ['pending_payment'] },
  { key: 'paid', statuses: ['paid'] },
  { key: 'accepted', statuses: ['accepted'] },
  { key: 'preparing', statuses: ['preparing'] },
  { key: 'ready', statuses: ['out_for_delivery', 'ready_for_pickup'] },
] as const satisfies readonly { key: string; statuses: readonly OrderStatus[] }[]

export const OPEN_STATUSES: OrderStatus[] = BOARD_COLUMNS.flatMap((column) => [...column.statuses])

/** What the team moves an order to; `paid` and `refunded` come from the payment provider. */
export type StaffMove = Exclude<OrderStatus, 'pending_payment' | 'paid' | 'refunded'>

export type BoardOrder = {
  id: string
  code: string
  status: OrderStatus
  fulfilment: Fulfilment
  customerName: string
  totalCents: number
  preorder: boolean
  createdAt: Date
  /** The moves this viewer may make (empty without `commerce.fulfil`). */
  moves: StaffMove[]
}

export type OrderDetail = BoardOrder & {
  storeName: string | null
  customerPhone: string | null
  customerEmail: string | null
  address: OrderAddress | null
  subtotalCents: number
  shippingCents: number
  notes: string | null
  items: {
    name: string
    quantity: number
    lineTotalCents: number
    options: { group: string; name: string }[]
  }[]
  payment: { method: string; status: PaymentStatus; amountCents: number; expiresAt: Date | null } | null
  delivery: { distanceKm: string | number | null } | null
  /** Statuses as stored in the history (text): drawn in words when known. */
  history: { to: string; actorType: string; reason: string | null; at: Date }[]
}

const BADGE: Record<OrderStatus, string> = {
  pending_payment: 'pending',
  paid: 'active',
  accepted: 'active',
  preparing: 'running',
  out_for_delivery: 'running',
  ready_for_pickup: 'running',
  delivered: 'succeeded',
  cancelled: 'canceled',
  refunded: 'none',
}

const PAYMENT_BADGE: Record<PaymentStatus, string> = {
  creating: 'pending',
  pending: 'pending',
  approved: 'succeeded',
  rejected: 'error',
  expired: 'expired',
  refunded: 'none',
}

const isOrderStatus = (value: string): value is OrderStatus =>
  ORDER_STATUSES.some((status) => status === value)

const ACTORS: Record<string, MessageKey> = {
  member: 'commerce.actor.member',
  api_key: 'commerce.actor.api_key',
  customer: 'commerce.actor.customer',
  system: 'commerce.actor.system',
  payment_provider: 'commerce.actor.payment_provider',
}

/** Date and time, short, on the viewer's wall clock (history, PIX expiry). */
const shortDateTime = (i18n: I18n, zone: string) =>
  new Intl.DateTimeFormat(i18n.locale, { timeZone: zone, dateStyle: 'short', timeStyle: 'short' })

/** Times placed: the hour for today's orders, the date too for older ones, in the viewer's zone. */
function placedAt(i18n: I18n, zone: string, at: Date) {
  const day = (d: Date) => d.toLocaleDateString('en-CA', { timeZone: zone })
  const time = new Intl.DateTimeFormat(i18n.locale, { timeZone: zone, hour: '2-digit', minute: '2-digit' })
  if (day(at) === day(new Date())) return time.format(at)
  return new Intl.DateTimeFormat(i18n.locale, {
    timeZone: zone,
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  }).format(at)
}

export function OrderStatusBadge(props: { status: OrderStatus }) {
  const { t } = useI18n()
  return <Badge status={BADGE[props.status]} label={t(`commerce.status.${props.status}`)} />
}

/** One button per allowed move; cancelling asks first and may say why. */
function Moves(props: { order: BoardOrder; back: string; compact?: boolean }) {
  const { t } = useI18n()
  const forward = props.order.moves.filter((to) => to !== 'cancelled')
  const canCancel = props.order.moves.includes('cancelled')
  if (props.order.moves.length === 0) return null
  return (
    <div class="cm-moves">
      {forward.map((to) => (
        <form method="post" action={`/app/commerce/orders/${props.order.id}/status`} class="inline">
          <CsrfField />
          <input type="hidden" name="to" value={to} />
          <input type="hidden" name="back" value={props.back} />
          <button type="submit">{t(`commerce.move.${to}`)}</button>
        </form>
      ))}
      {canCancel && !props.compact && (
        <form
          method="post"
          action={`/app/commerce/orders/${props.order.id}/status`}
          class="cm-cancel"
          hx-confirm={t('commerce.cancelConfirm')}
        >
          <CsrfField />
          <input type="hidden" name="to" value="cancelled" />
          <input type="hidden" name="back" value={props.back} />
          <div class="field">
            <label for="f-reason">{t('commerce.reason')}</label>
            <input id="f-reason" name="reason" maxlength={300} />
          </div>
          <button type="submit" class="danger">
            {t('commerce.move.cancelled')}
          </button>
        </form>
      )}
    </div>
  )
}

function OrderCard(props: { order: BoardOrder; zone: string }) {
  const i18n = useI18n()
  const { t } = i18n
  const o = props.order
  return (
    <li class="cm-card">
      <a href={`/app/commerce/orders/${o.id}`}>
        <span class="cm-line">
          <strong>{t('commerce.orderCode', { code: o.code })}</strong>
          <span class="cm-time">{placedAt(i18n, props.zone, o.createdAt)}</span>
        </span>
        <span>{o.customerName}</span>
        <span class="cm-line muted small">
          <span>
            {t(o.fulfilment === 'delivery' ? 'commerce.delivery' : 'commerce.pickup')}
            {o.preorder ? ` · ${t('commerce.preorder')}` : ''}
          </span>
          <span class="cm-money">{money(i18n, o.totalCents)}</span>
        </span>
      </a>
      {o.status === 'out_for_delivery' || o.status === 'ready_for_pickup' ? (
        <OrderStatusBadge status={o.status} />
      ) : null}
      <Moves order={o} back="board" compact />
    </li>
  )
}

/** The filter's options: the open board, then every status by name. */
const FILTERS: OrderStatus[] = [
  'pending_payment',
  'paid',
  'accepted',
  'preparing',
  'out_for_delivery',
  'ready_for_pickup',
  'delivered',
  'cancelled',
  'refunded',
]

/**
 * The board: the section that refreshes itself when the page hears `live:orders` (a new order,
 * a move by anyone) and every 10 s (`live:poll`) while the live channel is down.
 */
export function OrdersBoard(props: {
  status: OrderStatus | null
  orders: BoardOrder[]
  nextHref: string | null
  zone: string
}) {
  const { t } = useI18n()
  const self = props.status ? `/app/commerce?status=${props.status}` : '/app/commerce'
  return (
    <section
      id="orders-board"
      aria-label={t('commerce.board')}
      data-live="orders"
      hx-get={self}
      hx-select="#orders-board"
      hx-target="this"
      hx-swap="outerHTML"
      hx-trigger="live:orders throttle:300ms from:body, live:poll from:body"
    >
      {props.status ? (
        <section class="card cm-column">
          <h2>{t(`commerce.status.${props.status}`)}</h2>
          {props.orders.length === 0 ? (
            <p class="muted">{t('commerce.none')}</p>
          ) : (
            <ul class="cm-list">
              {props.orders.map((order) => (
                <OrderCard order={order} zone={props.zone} />
              ))}
            </ul>
          )}
          <Pager nextHref={props.nextHref} />
        </section>
      ) : (
        <div class="cm-board">
          {BOARD_COLUMNS.map((column) => {
            const mine = props.orders.filter((o) => column.statuses.some((s) => s === o.status))
            return (
              <section class="card cm-column" aria-labelledby={`col-${column.key}`}>
                <h2 id={`col-${column.key}`}>
                  {t(`commerce.column.${column.key}`)} <span class="muted">({mine.length})</span>
                </h2>
                {mine.length === 0 ? (
                  <p class="muted small">{t('commerce.none')}</p>
                ) : (
                  <ul class="cm-list">
                    {mine.map((order) => (
                      <OrderCard order={order} zone={props.zone} />
                    ))}
                  </ul>
                )}
              </section>
            )
          })}
        </div>
      )}
    </section>
  )
}

export function CommercePage(props: {
  status: OrderStatus | null
  orders: BoardOrder[]
  nextHref: string | null
  zone: string
  notice?: MessageKey
  error?: MessageKey
}) {
  const { t } = useI18n()
  return (
    <>
      <h1>{t('commerce.title')}</h1>
      {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
      <form method="get" action="/app/commerce" class="row cm-filter">
        <div class="field">
          <label for="f-status">{t('commerce.show')}</label>
          <select id="f-status" name="status">
            <option value="">{t('commerce.openOrders')}</option>
            {FILTERS.map((status) => (
              <option value={status} selected={props.status === status}>
                {t(`commerce.status.${status}`)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="secondary">
          {t('commerce.filter')}
        </button>
      </form>
      <p class="muted small">
        {t('commerce.zone', { zone: props.zone })}{' '}
        <span data-live-state="live" hidden>
          {t('live.on')}
        </span>
        <span data-live-state="polling" hidden>
          {t('live.polling')}
        </span>
      </p>
      <OrdersBoard status={props.status} orders={props.orders} nextHref={props.nextHref} zone={props.zone} />
    </>
  )
}

const addressLine = (a: OrderAddress) =>
  [
    `${a.street}, ${a.number}`,
    a.complement,
    a.district,
    `${a.city} – ${a.state}`,
    `${a.cep.slice(0, 5)}-${a.cep.slice(5)}`,
  ]
    .filter(Boolean)
    .join(' · ')

/** A part of the order's page that fetches itself again when an order moves (or every 10 s offline). */
function LiveSection(props: { id: string; orderId: string; children: Child }) {
  return (
    <div
      id={props.id}
      data-live="orders"
      hx-get={`/app/commerce/orders/${props.orderId}`}
      hx-select={`#${props.id}`}
      hx-target="this"
      hx-swap="outerHTML"
      hx-trigger="live:orders throttle:300ms from:body, live:poll from:body"
    >
      {props.children}
    </div>
  )
}

/** The order's history: each status with when and by whom (the team, the customer, the provider). */
function OrderHistory(props: { order: OrderDetail; zone: string }) {
  const i18n = useI18n()
  const { t } = i18n
  const o = props.order
  const when = shortDateTime(i18n, props.zone)
  return (
    <LiveSection id="order-history" orderId={o.id}>
      <section class="card">
        <h2>{t('commerce.history')}</h2>
        <ol class="cm-history">
          {o.history.map((event) => (
            <li>
              <span class="cm-time">{when.format(event.at)}</span>{' '}
              {isOrderStatus(event.to) ? t(`commerce.status.${event.to}`) : event.to}{' '}
              <span class="muted small">
                · {t(ACTORS[event.actorType] ?? 'commerce.actor.system')}
                {event.reason ? ` · ${event.reason}` : ''}
              </span>
            </li>
          ))}
        </ol>
      </section>
    </LiveSection>
  )
}

/** The parts of one order that change (status, payment, moves): refreshed live. */
function OrderLive(props: { order: OrderDetail; zone: string }) {
  const i18n = useI18n()
  const { t } = i18n
  const o = props.order
  const when = shortDateTime(i18n, props.zone)
  return (
    <LiveSection id="order-live" orderId={o.id}>
      <p class="cm-line">
        <OrderStatusBadge status={o.status} />
        {o.payment && (
          <span>
            {t('commerce.payment')}:{' '}
            <Badge
              status={PAYMENT_BADGE[o.payment.status]}
              label={t(`commerce.payment.${o.payment.status}`)}
            />
          </span>
        )}
      </p>
      {o.payment?.status === 'pending' && o.payment.expiresAt && (
        <p class="muted small">{t('commerce.payment.until', { time: when.format(o.payment.expiresAt) })}</p>
      )}
      <Moves order={o} back="order" />
    </LiveSection>
  )
}

export function OrderPage(props: {
  order: OrderDetail
  zone: string
  notice?: MessageKey
  error?: MessageKey
}) {
  const i18n = useI18n()
  const { t } = i18n
  const o = props.order
  return (
    <div class="cm-order">
      <p>
        <a href="/app/commerce">{t('commerce.back')}</a>
      </p>
      <h1>{t('commerce.orderCode', { code: o.code })}</h1>
      <p class="muted">
        {t('commerce.placed', { time: placedAt(i18n, props.zone, o.createdAt) })}
        {o.storeName ? ` · ${o.storeName}` : ''}
        {o.preorder ? ` · ${t('commerce.preorder')}` : ''}
      </p>
      {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
      <OrderLive order={o} zone={props.zone} />
      <section class="card">
        <h2>{t('commerce.items')}</h2>
        <ul class="cm-items">
          {o.items.map((item) => (
            <li>
              <span>
                {item.quantity} × {item.name}
                {item.options.length > 0 && (
                  <span class="muted small"> ({item.options.map((option) => option.name).join(', ')})</span>
                )}
              </span>
              <span class="cm-money">{money(i18n, item.lineTotalCents)}</span>
            </li>
          ))}
        </ul>
        <dl class="cm-totals">
          <dt>{t('commerce.subtotal')}</dt>
          <dd>{money(i18n, o.subtotalCents)}</dd>
          <dt>{t('commerce.shipping')}</dt>
          <dd>{money(i18n, o.shippingCents)}</dd>
          <dt>{t('commerce.total')}</dt>
          <dd>
            <strong>{money(i18n, o.totalCents)}</strong>
          </dd>
        </dl>
      </section>
      <section class="card">
        <h2>{t('commerce.customer')}</h2>
        <p>{o.customerName}</p>
        {o.customerPhone && (
          <p>
            <a href={`tel:${o.customerPhone}`}>{o.customerPhone}</a>
          </p>
        )}
        {o.customerEmail && <p>{o.customerEmail}</p>}
        <h3>{t(o.fulfilment === 'delivery' ? 'commerce.delivery' : 'commerce.pickup')}</h3>
        {o.fulfilment === 'delivery' && o.address ? (
          <p>
            {addressLine(o.address)}
            {o.delivery?.distanceKm != null && (
              <span class="muted small">
                {' '}
                · {t('commerce.distance', { km: i18n.number(Number(o.delivery.distanceKm)) })}
              </span>
            )}
          </p>
        ) : (
          <p class="muted">{t('commerce.pickupAtStore')}</p>
        )}
        {o.notes && (
          <p>
            <strong>{t('commerce.notes')}:</strong> {o.notes}
          </p>
        )}
      </section>
      <OrderHistory order={o} zone={props.zone} />
    </div>
  )
}
