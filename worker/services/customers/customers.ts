import { and, eq, sql } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { newId } from '../../../db/ids.ts'
import { customers } from '../../../db/schema/index.ts'

export type Customer = typeof customers.$inferSelect

/** What a module knows of a person when it meets them: a name and a phone (E.164) or an e-mail. */
export type CustomerInput = {
  name: string
  /** E.164, already normalized at the boundary (`phoneField`). */
  phone?: string | null
  email?: string | null
}

/**
 * The tenant's customer with this phone number (else this e-mail), created if there is none: the
 * one way every module turns a person it meets (a WhatsApp contact, a booking, an order) into a
 * customer, so the same person is one customer across modules. Safe under concurrency: two first
 * contacts with the same phone converge on one row through the unique index. A known customer
 * keeps their name; an e-mail is added when they had none. Checks no permission: the module verb
 * calling it already did.
 */
export async function upsertCustomer(tx: Tx, tenantId: string, input: CustomerInput): Promise<Customer> {
  const email = input.email ? input.email.trim().toLowerCase() : null
  const name = input.name.trim() || input.phone || email || '?'
  if (input.phone) {
    const [row] = await tx
      .insert(customers)
      .values({ id: newId('cus'), tenantId, name, phone: input.phone, email })
      .onConflictDoUpdate({
        target: [customers.tenantId, customers.phone],
        targetWhere: sql`phone is not null`,
        set: { email: sql`coalesce(${customers.email}, excluded.email)`, updatedAt: sql`now()` },
      })
      .returning()
    return row as Customer
  }
  if (email) {
    const [known] = await tx
      .select()
      .from(customers)
      .where(and(eq(customers.tenantId, tenantId), eq(customers.email, email)))
      .orderBy(customers.createdAt)
      .limit(1)
    if (known) return known
  }
  const [row] = await tx
    .insert(customers)
    .values({ id: newId('cus'), tenantId, name, email })
    .returning()
  return row as Customer
}
