import { and, eq, sql } from 'drizzle-orm'
import { newId } from '../../../db/ids.ts'
import { commerceOrders, commerceSettings, type OrderStatus } from '../../../db/schema/index.ts'
import { ApiError, notFound } from '../../errors.ts'
import { writeAudit } from '../audit.ts'
import { insertOutboundMessage, type OutboundInput, queueSends } from '../messaging/outbox.ts'
import { returnDiscounts } from './campaigns/discounts.ts'
import { publishCommerceEvent } from './events.ts'
import { returnSoldStock, settleReservations } from './stock.ts'
import type { CommerceScope } from './storefront.ts'

/**
 * Where an order may go from each status. `paid` comes only from the payment provider; the team
 * moves the rest. A delivery goes out for delivery, a pickup waits ready for pickup.
 */
export const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  pending_payment: ['paid', 'cancelled'],
  paid: ['accepted', 'cancelled', 'refunded'],
  accepted: ['preparing', 'cancelled'],
  preparing: ['out_for_delivery', 'ready_for_pickup', 'cancelled'],
  out_for_delivery: ['delivered'],
  ready_for_pickup: ['delivered'],
  delivered: ['refunded'],
  cancelled: [],
  refunded: [],
}

/** Statuses the customer is told about, and the words of the message. */
const NOTICES: Partial<Record<OrderStatus, string>> = {
  paid: 'Pagamento confirmado! Seu pedido foi recebido pela loja.',
  accepted: 'A loja aceitou seu pedido.',
  out_for_delivery: 'Seu pedido saiu para entrega.',
  ready_for_pickup: 'Seu pedido está pronto para retirada.',
  delivered: 'Pedido entregue. Obrigado!',
  cancelled: 'Seu pedido foi cancelado.',
  refunded: 'O valor do seu pedido foi estornado.',
}

export const shortCode = (orderId: string) => orderId.slice(-6).toUpperCase()

/**
 * Moves the order from the status it has to `to`, or 409 INVALID_TRANSITION. The move is one
 * conditional UPDATE (`where status = <current>`): of two people pressing buttons at once, one
 * wins and the other is told. Cancelling gives the stock back (held units released, sold units
 * returned); the move is recorded in the order's history and the audit log with who did it, the
 * customer is told through the outbox (one message per order and status, whatever retries), and
 * the live board hears of it after the commit.
 */
export async function moveOrder(
  scope: CommerceScope,
  orderId: string,
  to: OrderStatus,
  options: { reason?: string | null; from?: readonly OrderStatus[] } = {},
): Promise<{ from: OrderStatus; to: OrderStatus }> {
  const [order] = await scope.tx
    .select({ status: commerceOrders.status, fulfilment: commerceOrders.fulfilment })
    .from(commerceOrders)
    .where(and(eq(commerceOrders.id, orderId), eq(commerceOrders.tenantId, scope.tenantId)))
  if (!order) throw notFound('order')
  const from = order.status
  const allowed =
    TRANSITIONS[from].includes(to) &&
    (options.from ?? [from]).includes(from) &&
    !(to === 'out_for_delivery' && order.fulfilment !== 'delivery') &&
    !(to === 'ready_for_pickup' && order.fulfilment !== 'pickup')
  if (!allowed) throw invalidTransition(from, to)
  const moved = await scope.tx
    .update(commerceOrders)
    .set({ status: to, updatedAt: scope.now })
    .where(
      and(
        eq(commerceOrders.id, orderId),
        eq(commerceOrders.tenantId, scope.tenantId),
        eq(commerceOrders.status, from),
      ),
    )
    .returning({ id: commerceOrders.id })
  if (moved.length === 0) throw invalidTransition(from, to)
  if (to === 'cancelled') {
    await settleReservations(scope, orderId, 'released')
    await returnSoldStock(scope, orderId)
  }
  // A cancelled or refunded order gives its campaigns' budget and the customer's use back.
  if (to === 'cancelled' || to === 'refunded') await returnDiscounts(scope, orderId)
  await recordOrderEvent(scope, orderId, from, to, options.reason ?? null)
  await notifyCustomer(scope, orderId, to)
  scope.afterCommit(() =>
    publishCommerceEvent(scope.services, scope.tenantId, {
      type: 'commerce.order_status_changed',
      orderId,
      from,
      to,
    }),
  )
  return { from, to }
}

const invalidTransition = (from: OrderStatus, to: OrderStatus) =>
  new ApiError(409, 'INVALID_TRANSITION', `An order that is ${from} cannot become ${to}.`, {
    details: { status: from, allowed: TRANSITIONS[from] },
  })

/** One row of the order's history and its audit row, both in the caller's transaction. */
export async function recordOrderEvent(
  scope: CommerceScope,
  orderId: string,
  from: OrderStatus | null,
  to: OrderStatus,
  reason: string | null,
): Promise<void> {
  await scope.tx.execute(sql`
    insert into commerce_order_events (id, tenant_id, order_id, from_status, to_status, actor_type, actor_id, reason)
    values (${newId('oev')}, ${scope.tenantId}, ${orderId}, ${from}, ${to}, ${scope.actor.type}, ${scope.actor.id}, ${reason})`)
  await writeAudit(
    scope.tx,
    {
      type:
        scope.actor.type === 'member' || scope.actor.type === 'api_key'
          ? scope.actor.type
          : scope.actor.type === 'customer'
            ? 'anonymous'
            : 'system',
      id: scope.actor.id,
    },
    scope.meta,
    {
      action: from ? 'commerce.order_status_changed' : 'commerce.order_placed',
      tenantId: scope.tenantId,
      target: { type: 'order', id: orderId },
      data: { from, to, by: scope.actor.type, ...(reason ? { reason } : {}) },
    },
  )
}

/**
 * Tells the customer of the order's new status: a WhatsApp utility template when the tenant has a
 * WhatsApp number and the customer a phone, else an e-mail when they gave one. The key
 * `commerce.order:<id>:<status>` makes a retried move (or a redelivered webhook) send nothing new.
 */
async function notifyCustomer(scope: CommerceScope, orderId: string, status: OrderStatus): Promise<void> {
  const notice = NOTICES[status]
  if (!notice) return
  const [row] = await scope.tx
    .select({
      name: commerceOrders.customerName,
      phone: commerceOrders.customerPhone,
      email: commerceOrders.customerEmail,
      connectionId: commerceSettings.whatsappConnectionId,
      phoneNumberId: commerceSettings.whatsappPhoneNumberId,
    })
    .from(commerceOrders)
    .leftJoin(commerceSettings, eq(commerceSettings.tenantId, commerceOrders.tenantId))
    .where(and(eq(commerceOrders.id, orderId), eq(commerceOrders.tenantId, scope.tenantId)))
  if (!row) return
  const common = {
    purpose: `commerce.order_${status}`,
    idempotencyKey: `commerce.order:${orderId}:${status}`,
  }
  const code = shortCode(orderId)
  const message: OutboundInput | null =
    row.phone && row.connectionId && row.phoneNumberId
      ? {
          channel: 'whatsapp',
          ...common,
          to: row.phone.replace(/^\+/, ''),
          from: { connectionId: row.connectionId, phoneNumberId: row.phoneNumberId },
          // A utility template: order updates reach the customer outside the 24-hour window too.
          window: 'closed',
          content: {
            type: 'template',
            name: 'order_update',
            language: 'pt_BR',
            parameters: [row.name, code, notice],
          },
        }
      : row.email
        ? {
            channel: 'email',
            ...common,
            to: row.email,
            content: { subject: `Pedido ${code}`, text: `Olá, ${row.name}!\n\n${notice}\n\nPedido ${code}` },
          }
        : null
  if (!message) return
  const queued = await insertOutboundMessage(scope.tx, scope.tenantId, message)
  if (queued.created)
    scope.afterCommit(async () => {
      await queueSends(scope.services.jobs, scope.tenantId, [queued.id])
    })
}
