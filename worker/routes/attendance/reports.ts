import { z } from 'zod'
import { isStoredDate } from '../../dates.ts'
import type { App } from '../../env.ts'
import { snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { attendanceReport } from '../../services/attendance/reports.ts'
import { attendanceUsage } from '../../services/attendance/usage.ts'
import { validate } from '../../validator.ts'
import { attendance, tags } from './fields.ts'

const day = z.string().refine(isStoredDate, 'a date YYYY-MM-DD')
export const reportQuery = z.object({ from: day, to: day })

/** This month's sends against the plan, and the inbox's report (volume, response and resolution times). */
export function registerAttendanceReports(app: App) {
  app.get(
    '/api/v1/attendance/usage',
    describe({ summary: 'This month’s sends against the plan’s limit, by WhatsApp pricing category', tags }),
    authenticate,
    permit('attendance.read', attendance),
    async (c) => c.json(snake(await c.var.caller.run((ctx) => attendanceUsage(ctx), attendance))),
  )

  app.get(
    '/api/v1/attendance/reports',
    describe({
      summary: 'Messages per day; first-response and resolution times per agent and per number',
      tags,
    }),
    authenticate,
    permit('attendance.read', attendance),
    validate('query', reportQuery),
    async (c) =>
      c.json(snake(await c.var.caller.run((ctx) => attendanceReport(ctx, c.req.valid('query')), attendance))),
  )
}
