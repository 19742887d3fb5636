import { sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'

/**
 * What a tenant's erasure keeps of its commerce, for the fiscal record the seller must keep: the
 * orders (dates, statuses, amounts), their items (what was sold, at what price) and payments
 * (amounts, the provider's payment ids, which its own records refer to), and the stores they were
 * sold from (the seller's own addresses). Everything else goes with the tenant.
 */
export const COMMERCE_KEPT_ON_ERASURE = [
  'commerce_stores',
  'commerce_orders',
  'commerce_order_items',
  'commerce_payments',
] as const

/**
 * Blanks the customer in every order of the tenant, in the erasure's transaction, before the
 * customers and the rest are deleted: name, phone, e-mail, delivery address and notes go, and so
 * do the link to the customer, the client's idempotency key and the hash of the request (both
 * derived from what the customer sent). Amounts, items, dates and payment ids stay. Idempotent.
 */
export async function anonymizeOrders(tx: Tx, tenantId: string): Promise<number> {
  const result = await tx.execute<{ n: number }>(sql`
    with changed as (
      update commerce_orders
      set customer_name = '', customer_phone = null, customer_email = null, address = null, notes = null,
          customer_id = null, idempotency_key = id, request_hash = '',
          anonymized_at = coalesce(anonymized_at, now()), updated_at = now()
      where tenant_id = ${tenantId} and anonymized_at is null
      returning 1
    )
    select count(*)::int as n from changed`)
  return result.rows[0]?.n ?? 0
}
