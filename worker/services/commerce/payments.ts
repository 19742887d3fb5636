import { and, eq, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { commerceOrders, commercePaymentEvents, commercePayments } from '../../../db/schema/index.ts'
import type { RequestMeta } from '../../auth/principal.ts'
import { notFound } from '../../errors.ts'
import { log } from '../../log.ts'
import type { Services } from '../../runtime/ports.ts'
import { writeAudit } from '../audit.ts'
import { settleReservations } from './stock.ts'
import { type CommerceScope, runStorefront } from './storefront.ts'
import { moveOrder } from './transitions.ts'

/** What the provider's signed webhook says happened to a payment (its id at the provider). */
export type PaymentEvent = {
  providerPaymentId: string
  status: 'approved' | 'rejected' | 'cancelled' | 'refunded'
}

export type PaymentOutcome = { applied: boolean; duplicate: boolean; orderStatus: string | null }

/**
 * Applies one verified webhook delivery, exactly once per `webhook-id` (a redelivery finds its id
 * recorded and changes nothing). Approved: the payment is approved, the order becomes `paid` and
 * its held stock is sold. Rejected or cancelled: the order is cancelled and its stock released.
 * Refunded: the order is refunded. An approval arriving after the order expired leaves it
 * cancelled and is recorded for the team to refund (audit `commerce.payment_after_expiry`).
 */
export async function applyPaymentEvent(
  services: Services,
  meta: RequestMeta,
  slug: string,
  deliveryId: string,
  event: PaymentEvent,
): Promise<PaymentOutcome> {
  return runStorefront(
    services,
    meta,
    slug,
    async (scope) => {
      const [payment] = await scope.tx
        .select({
          id: commercePayments.id,
          orderId: commercePayments.orderId,
          status: commercePayments.status,
        })
        .from(commercePayments)
        .where(
          and(
            eq(commercePayments.tenantId, scope.tenantId),
            eq(commercePayments.providerPaymentId, event.providerPaymentId),
          ),
        )
        .for('update')
      if (!payment) throw notFound('payment')
      const fresh = await scope.tx
        .insert(commercePaymentEvents)
        .values({
          tenantId: scope.tenantId,
          webhookId: deliveryId,
          paymentId: payment.id,
          status: event.status,
        })
        .onConflictDoNothing()
        .returning({ id: commercePaymentEvents.webhookId })
      const [order] = await scope.tx
        .select({ status: commerceOrders.status })
        .from(commerceOrders)
        .where(and(eq(commerceOrders.id, payment.orderId), eq(commerceOrders.tenantId, scope.tenantId)))
      if (fresh.length === 0) return { applied: false, duplicate: true, orderStatus: order?.status ?? null }
      const status =
        event.status === 'approved' ? 'approved' : event.status === 'refunded' ? 'refunded' : 'rejected'
      await scope.tx
        .update(commercePayments)
        .set({ status, updatedAt: scope.now })
        .where(eq(commercePayments.id, payment.id))
      const current = order?.status
      if (event.status === 'approved' && current === 'pending_payment') {
        await moveOrder(scope, payment.orderId, 'paid')
        await settleReservations(scope, payment.orderId, 'sold')
      } else if (event.status === 'approved') {
        await writeAudit(scope.tx, { type: 'system', id: null }, scope.meta, {
          action: 'commerce.payment_after_expiry',
          tenantId: scope.tenantId,
          target: { type: 'order', id: payment.orderId },
          data: { order_status: current ?? null, payment_id: payment.id },
        })
      } else if (
        event.status === 'refunded' &&
        current &&
        current !== 'refunded' &&
        current !== 'cancelled'
      ) {
        await moveOrder(scope, payment.orderId, 'refunded')
      } else if (current === 'pending_payment') {
        await moveOrder(scope, payment.orderId, 'cancelled', { reason: `payment ${event.status}` })
      }
      const [after] = await scope.tx
        .select({ status: commerceOrders.status })
        .from(commerceOrders)
        .where(eq(commerceOrders.id, payment.orderId))
      return { applied: true, duplicate: false, orderStatus: after?.status ?? null }
    },
    { type: 'payment_provider', id: null },
  )
}

/**
 * The cron tick's part (operator transaction, every tenant): unpaid orders past their payment
 * window are cancelled and their reservations released, so `reserved` goes back to what live
 * orders hold. `FOR UPDATE SKIP LOCKED`: an order a webhook is paying right now is left for the
 * next tick, and its conditional move decides which of the two happened. Tasks to run after the
 * tick commits (customer notices, live events) are pushed to `committed`.
 */
export async function expireUnpaidOrders(
  tx: Tx,
  services: Services,
  now: Date,
  committed: (() => Promise<void>)[],
): Promise<number> {
  const due = await tx.execute<{ id: string; tenant_id: string }>(sql`
    select id, tenant_id from commerce_orders
    where status = 'pending_payment' and payment_due_at <= ${now}
    order by payment_due_at limit 500
    for update skip locked`)
  for (const order of due.rows) {
    const scope: CommerceScope = {
      tx,
      tenantId: order.tenant_id,
      services,
      meta: null,
      now,
      actor: { type: 'system', id: null },
      afterCommit: (task) => void committed.push(task),
    }
    await moveOrder(scope, order.id, 'cancelled', { reason: 'payment window expired' })
    await tx
      .update(commercePayments)
      .set({ status: 'expired', updatedAt: now })
      .where(and(eq(commercePayments.orderId, order.id), sql`status in ('creating', 'pending')`))
  }
  if (due.rows.length > 0) log('info', 'commerce orders expired', { count: due.rows.length })
  return due.rows.length
}
