import { and, asc, eq } from 'drizzle-orm'
import { onUniqueViolation } from '../../../db/errors.ts'
import { newId } from '../../../db/ids.ts'
import { attendanceNumbers, connections } from '../../../db/schema/index.ts'
import { authorize } from '../../auth/permissions.ts'
import { ApiError, invalidField, notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'

const COLUMNS = {
  id: attendanceNumbers.id,
  connectionId: attendanceNumbers.connectionId,
  phoneNumberId: attendanceNumbers.phoneNumberId,
  wabaId: attendanceNumbers.wabaId,
  displayNumber: attendanceNumbers.displayNumber,
  label: attendanceNumbers.label,
  teamId: attendanceNumbers.teamId,
  createdAt: attendanceNumbers.createdAt,
}

/** The tenant's WhatsApp Business numbers in the inbox. */
export async function listNumbers(ctx: ServiceContext) {
  authorize(ctx.principal, 'attendance.read')
  const data = await ctx.tx
    .select(COLUMNS)
    .from(attendanceNumbers)
    .where(eq(attendanceNumbers.tenantId, ctx.principal.tenantId))
    .orderBy(asc(attendanceNumbers.createdAt), asc(attendanceNumbers.id))
  return { data }
}

export type NumberInput = {
  connectionId: string
  phoneNumberId: string
  displayNumber: string
  label?: string | null
}

/**
 * Adds a business number to the inbox. It sends with the token of the tenant's WhatsApp
 * connection named (its WABA is the connection's account) and receives what the tenant's Meta
 * webhook delivers for its `phone_number_id`.
 */
export async function addNumber(ctx: ServiceContext, input: NumberInput) {
  authorize(ctx.principal, 'attendance.manage')
  const tenantId = ctx.principal.tenantId
  const [connection] = await ctx.tx
    .select({ wabaId: connections.externalAccountId, status: connections.status })
    .from(connections)
    .where(
      and(
        eq(connections.id, input.connectionId),
        eq(connections.tenantId, tenantId),
        eq(connections.platform, 'whatsapp'),
      ),
    )
  if (!connection || connection.status === 'disconnected')
    throw invalidField('json.connection_id', 'not a WhatsApp connection of this tenant')
  const id = newId('anb')
  await ctx.tx
    .insert(attendanceNumbers)
    .values({
      id,
      tenantId,
      connectionId: input.connectionId,
      phoneNumberId: input.phoneNumberId,
      wabaId: connection.wabaId,
      displayNumber: input.displayNumber,
      label: input.label ?? null,
    })
    .catch(
      onUniqueViolation({
        attendance_numbers_phone_key: () =>
          new ApiError(409, 'NUMBER_EXISTS', 'This number is already in the inbox.'),
      }),
    )
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'attendance.number_added',
    tenantId,
    target: { type: 'attendance_number', id },
    data: { phoneNumberId: input.phoneNumberId, connectionId: input.connectionId },
  })
  return getNumber(ctx, id)
}

export async function getNumber(ctx: ServiceContext, id: string) {
  const [row] = await ctx.tx
    .select(COLUMNS)
    .from(attendanceNumbers)
    .where(and(eq(attendanceNumbers.id, id), eq(attendanceNumbers.tenantId, ctx.principal.tenantId ?? '')))
  if (!row) throw notFound('number')
  return row
}
