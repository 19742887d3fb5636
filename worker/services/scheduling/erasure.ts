import { sql } from 'drizzle-orm'
import { authorize } from '../../auth/permissions.ts'
import { notFound } from '../../errors.ts'
import { log } from '../../log.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'
import { tenantFileKey } from '../files/files.ts'

/**
 * Erases one customer from the scheduling module (LGPD, privacy.manage): their appointments lose
 * the link to them, their notes and the booking visitor's digest, and keep their times, service,
 * professional, status and price, so the calendar and the statistics stay true; their consent
 * fact goes; the outbox messages sent to them about those appointments (reminders, notices: their
 * address and words) are deleted and pending reminders voided; the invitations stored for them are
 * deleted after the commit. The shared `customers` row is not this module's to erase (other modules
 * use it); the tenant's erasure, or each module's, removes the rest. One audit row with the counts.
 */
export async function eraseSchedulingCustomer(ctx: ServiceContext, customerId: string) {
  authorize(ctx.principal, 'privacy.manage')
  const tenantId = ctx.principal.tenantId
  const [counts] = (
    await ctx.tx.execute<{ customer: string | null; appointments: string[]; messages: number }>(sql`
      with customer as (
        select id from customers where id = ${customerId} and tenant_id = ${tenantId} for update
      ), appointment as (
        select a.id from appointments a join customer on customer.id = a.customer_id
        where a.tenant_id = ${tenantId} for update of a
      ), message as (
        delete from outbound_messages o
        where o.tenant_id = ${tenantId} and (
          o.id in (select r.message_id from scheduling_reminders r join appointment on appointment.id = r.appointment_id
                   where r.tenant_id = ${tenantId})
          or exists (select 1 from appointment where o.idempotency_key like 'scheduling-notice:' || appointment.id || ':%'))
        returning o.id
      )
      select (select id from customer) as customer,
        coalesce((select array_agg(id order by id) from appointment), '{}') as appointments,
        (select count(*)::int from message) as messages`)
  ).rows
  if (!counts?.customer) throw notFound('customer')
  const ids = counts.appointments
  const idList = `{${ids.join(',')}}`
  await ctx.tx.execute(sql`
    update scheduling_reminders set message_id = null,
      status = case when status = 'pending' then 'void' else status end, updated_at = ${ctx.now}
    where tenant_id = ${tenantId} and appointment_id = any(${idList}::text[])`)
  await ctx.tx.execute(sql`
    update appointments set customer_id = null, notes = null, hold_visitor = null, customer_erased_at = ${ctx.now},
      updated_at = ${ctx.now}
    where tenant_id = ${tenantId} and id = any(${idList}::text[])`)
  await ctx.tx.execute(
    sql`delete from scheduling_customer_facts where tenant_id = ${tenantId} and customer_id = ${customerId}`,
  )
  const result = { appointments: ids.length, outboundMessages: counts.messages }
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'scheduling.customer_erased',
    tenantId,
    target: { type: 'customer', id: customerId },
    data: result,
  })
  // Files are not transactional: removed once the erasure is committed (a failure is logged; the
  // tenant's erasure removes the whole prefix in any case).
  const files = ctx.services.files
  ctx.afterCommit(async () => {
    if (ids.length === 0) return
    try {
      const prefix = tenantFileKey(tenantId, 'scheduling', 'invitations', '')
      const keys = (await files.list(prefix)).filter((key) =>
        ids.some((id) => key.startsWith(`${prefix}${id}-`)),
      )
      if (keys.length > 0) await files.delete(keys)
    } catch (error) {
      log('error', 'scheduling erasure: invitations not deleted', {
        tenant_id: tenantId,
        error: String(error),
      })
    }
  })
  return result
}
