import { sql } from 'drizzle-orm'
import { index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { tenants } from './tenancy.ts'

/**
 * The people a tenant serves: one row per customer, shared by every module that deals with them
 * (the attendance inbox's contacts, scheduling's appointments, commerce's orders), so a customer
 * who writes on WhatsApp, books and buys is one person with one history. The phone number in
 * E.164 (`worker/services/customers/phone.ts`) is the key most of them arrive with, unique per
 * tenant; an e-mail is kept lower-cased and may be shared (a family's address). Modules keep their
 * own facts (consents, a WhatsApp user id, a delivery address) in their own tables pointing here.
 */
export const customers = pgTable(
  'customers',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    name: text('name').notNull(),
    /** E.164 (`+5511912345678`); null for a customer known only by e-mail or WhatsApp user id. */
    phone: text('phone'),
    /** Lower case. */
    email: text('email'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // One customer per phone number and tenant: concurrent first contacts converge on one row.
    uniqueIndex('customers_phone_key').on(t.tenantId, t.phone).where(sql`phone is not null`),
    index('customers_email_idx').on(t.tenantId, t.email).where(sql`email is not null`),
    // Lists sorted by name and the search by name (prefix of the lower-cased name).
    index('customers_tenant_id_idx').on(t.tenantId, sql`lower(${t.name})`, t.id),
  ],
)
