import { z } from 'zod'
import type { App } from '../../env.ts'
import { idParam, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import { createTeam, listTeams, setAway, setNumberTeam, updateTeam } from '../../services/attendance/teams.ts'
import { validate } from '../../validator.ts'
import { idOf } from '../calendar/fields.ts'
import { attendance, numberParam, tags } from './fields.ts'

const roundRobinField = z
  .boolean()
  .describe('Hand the team’s new conversations to its available members in turn (default on).')
export const teamBody = z.object({
  name: z.string().trim().min(1).max(80),
  member_ids: z.array(idOf('usr')).max(200).describe('Members who may answer the inbox.'),
  round_robin: roundRobinField.optional(),
})
const teamPatch = teamBody
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'give at least one of name, member_ids, round_robin')
const teamParam = idParam('atm')
const numberTeamBody = z.object({ team_id: idOf('atm').nullable().describe('The team, or null for none.') })
const awayBody = z.object({ away: z.boolean().describe('Away: skipped by the round-robin assignment.') })

/** Teams, the team of a number (round-robin of its new conversations) and a member's presence. */
export function registerAttendanceTeams(app: App) {
  app.get(
    '/api/v1/attendance/teams',
    describe({ summary: 'The inbox’s teams and their members', tags }),
    authenticate,
    permit('attendance.read', attendance),
    async (c) => c.json(snake(await c.var.caller.run((ctx) => listTeams(ctx), attendance))),
  )

  app.post(
    '/api/v1/attendance/teams',
    describe({ summary: 'Create a team of members who answer', tags }),
    authenticate,
    permit('attendance.manage', attendance),
    validate('json', teamBody),
    async (c) => {
      const body = c.req.valid('json')
      const team = await c.var.caller.run(
        (ctx) =>
          createTeam(ctx, { name: body.name, memberIds: body.member_ids, roundRobin: body.round_robin }),
        attendance,
      )
      return c.json(snake(team), 201)
    },
  )

  app.patch(
    '/api/v1/attendance/teams/:id',
    describe({ summary: 'Rename a team, replace its members or turn its round-robin on or off', tags }),
    authenticate,
    permit('attendance.manage', attendance),
    validate('param', teamParam),
    validate('json', teamPatch),
    async (c) => {
      const id = c.req.valid('param').id
      const body = c.req.valid('json')
      const input = { name: body.name, memberIds: body.member_ids, roundRobin: body.round_robin }
      return c.json(snake(await c.var.caller.run((ctx) => updateTeam(ctx, id, input), attendance)))
    },
  )

  app.put(
    '/api/v1/attendance/numbers/:id/team',
    describe({ summary: 'Give a number’s new conversations to a team in turn (or to nobody)', tags }),
    authenticate,
    permit('attendance.manage', attendance),
    validate('param', numberParam),
    validate('json', numberTeamBody),
    async (c) => {
      const id = c.req.valid('param').id
      const teamId = c.req.valid('json').team_id
      return c.json(snake(await c.var.caller.run((ctx) => setNumberTeam(ctx, id, teamId), attendance)))
    },
  )

  app.put(
    '/api/v1/attendance/presence',
    describe({ summary: 'Mark yourself away from (or back at) the inbox', tags }),
    authenticate,
    permit(['attendance.reply', 'person'], attendance),
    validate('json', awayBody),
    async (c) => {
      const away = c.req.valid('json').away
      return c.json(snake(await c.var.caller.run((ctx) => setAway(ctx, away), attendance)))
    },
  )
}
