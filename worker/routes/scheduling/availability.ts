import { z } from 'zod'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { MAX_AVAILABILITY_DAYS, readAvailability } from '../../services/scheduling/availability.ts'
import { validate } from '../../validator.ts'
import { dayField, idOf, scheduling, viewerZone } from './fields.ts'

export const availabilityQuery = z
  .object({
    service_id: idOf('svc'),
    /** One professional; all who perform the service when absent. */
    professional_id: idOf('pro').optional(),
    from: dayField,
    to: dayField,
    /** The zone `from`/`to` are dates of and the slots' `local` labels are written in. */
    time_zone: viewerZone,
  })
  .refine((q) => q.to >= q.from, { message: 'must not be before from', path: ['to'] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) < MAX_AVAILABILITY_DAYS * 86_400_000, {
    message: `at most ${MAX_AVAILABILITY_DAYS} days`,
    path: ['to'],
  })

export function registerSchedulingAvailability(app: App) {
  /** Free slots computed on read: plan − exceptions − breaks − blocked periods − appointments. */
  app.get(
    '/api/v1/scheduling/availability',
    describe({ summary: 'Free slots of a service, as UTC instants with labels in the caller’s zone' }),
    authenticate,
    permit('scheduling.read', scheduling),
    validate('query', availabilityQuery),
    async (c) => {
      const q = c.req.valid('query')
      const found = await c.var.caller.run(
        (ctx) =>
          readAvailability(ctx, {
            serviceId: q.service_id,
            professionalId: q.professional_id,
            from: q.from,
            to: q.to,
            timeZone: q.time_zone,
          }),
        scheduling,
      )
      return c.json(
        snake({
          serviceId: found.service.id,
          timeZone: found.timeZone,
          professionals: found.professionals,
          slots: found.slots,
        }),
      )
    },
  )
}
