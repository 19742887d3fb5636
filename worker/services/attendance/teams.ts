import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import { onUniqueViolation } from '../../../db/errors.ts'
import { newId } from '../../../db/ids.ts'
import {
  attendanceAgents,
  attendanceNumbers,
  attendanceTeamMembers,
  attendanceTeams,
  users,
} from '../../../db/schema/index.ts'
import { authorize, rolesWith } from '../../auth/permissions.ts'
import { ApiError, invalidField, notFound } from '../../errors.ts'
import { actorOf, writeAudit } from '../audit.ts'
import type { ServiceContext } from '../context.ts'

/**
 * Teams and round-robin assignment (docs/attendance.md, "Teams and round-robin"). A number may
 * belong to one team; the inbound job gives each new conversation with nobody on it to the team's
 * next available member (recordInbound, in the statement that stores the message). These verbs
 * only keep the teams, the numbers' team and each member's presence.
 */

/** The tenant's teams with their members' ids, oldest first. */
export async function listTeams(ctx: ServiceContext) {
  authorize(ctx.principal, 'attendance.read')
  const tenantId = ctx.principal.tenantId
  const rows = await ctx.tx
    .select({
      id: attendanceTeams.id,
      name: attendanceTeams.name,
      roundRobin: attendanceTeams.roundRobin,
      createdAt: attendanceTeams.createdAt,
      memberIds: sql<
        string[]
      >`coalesce(array_agg(${attendanceTeamMembers.userId} order by ${attendanceTeamMembers.userId}) filter (where ${attendanceTeamMembers.userId} is not null), '{}')`,
    })
    .from(attendanceTeams)
    .leftJoin(
      attendanceTeamMembers,
      and(eq(attendanceTeamMembers.teamId, attendanceTeams.id), eq(attendanceTeamMembers.tenantId, tenantId)),
    )
    .where(eq(attendanceTeams.tenantId, tenantId))
    .groupBy(attendanceTeams.id)
    .orderBy(asc(attendanceTeams.createdAt), asc(attendanceTeams.id))
  return { data: rows }
}

/** Throws 400 unless every id is an active member of the tenant who may answer the inbox. */
async function checkMembers(ctx: ServiceContext, tenantId: string, memberIds: string[]) {
  if (memberIds.length > 0) {
    const found = await ctx.tx
      .select({ id: users.id })
      .from(users)
      .where(
        and(
          eq(users.tenantId, tenantId),
          inArray(users.id, memberIds),
          eq(users.status, 'active'),
          inArray(users.role, [...rolesWith('attendance.reply')]),
        ),
      )
    // Another tenant's member reads like an unknown one: the same 400, nothing confirmed.
    if (found.length !== memberIds.length)
      throw invalidField('json.member_ids', 'every member must be an active member who may answer the inbox')
  }
}

const teamExists = onUniqueViolation({
  attendance_teams_name_key: () => new ApiError(409, 'TEAM_EXISTS', 'A team with this name exists.'),
})

/** Creates a team of members who may answer the inbox (active, holding `attendance.reply`). */
export async function createTeam(
  ctx: ServiceContext,
  input: { name: string; memberIds: string[]; roundRobin?: boolean },
) {
  authorize(ctx.principal, 'attendance.manage')
  const tenantId = ctx.principal.tenantId
  const memberIds = [...new Set(input.memberIds)]
  await checkMembers(ctx, tenantId, memberIds)
  const id = newId('atm')
  const roundRobin = input.roundRobin ?? true
  await ctx.tx
    .insert(attendanceTeams)
    .values({ id, tenantId, name: input.name, roundRobin })
    .catch(teamExists)
  if (memberIds.length > 0)
    await ctx.tx
      .insert(attendanceTeamMembers)
      .values(memberIds.map((userId) => ({ tenantId, teamId: id, userId })))
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'attendance.team_created',
    tenantId,
    target: { type: 'attendance_team', id },
    data: { members: memberIds.length },
  })
  return { id, name: input.name, roundRobin, memberIds: memberIds.sort() }
}

/**
 * Renames a team, replaces its members or turns its round-robin on or off (off: its numbers'
 * new conversations stay unassigned). Only the fields given change.
 */
export async function updateTeam(
  ctx: ServiceContext,
  teamId: string,
  input: { name?: string; memberIds?: string[]; roundRobin?: boolean },
) {
  authorize(ctx.principal, 'attendance.manage')
  const tenantId = ctx.principal.tenantId
  const memberIds = input.memberIds ? [...new Set(input.memberIds)] : undefined
  if (memberIds) await checkMembers(ctx, tenantId, memberIds)
  const [team] = await ctx.tx
    .update(attendanceTeams)
    .set({
      ...(input.name === undefined ? {} : { name: input.name }),
      ...(input.roundRobin === undefined ? {} : { roundRobin: input.roundRobin }),
      updatedAt: new Date(),
    })
    .where(and(eq(attendanceTeams.id, teamId), eq(attendanceTeams.tenantId, tenantId)))
    .returning({ id: attendanceTeams.id })
    .catch(teamExists)
  if (!team) throw notFound('team')
  if (memberIds) {
    const m = attendanceTeamMembers
    await ctx.tx.delete(m).where(and(eq(m.tenantId, tenantId), eq(m.teamId, teamId)))
    if (memberIds.length > 0)
      await ctx.tx.insert(m).values(memberIds.map((userId) => ({ tenantId, teamId, userId })))
  }
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'attendance.team_updated',
    tenantId,
    target: { type: 'attendance_team', id: teamId },
    data: {
      renamed: input.name !== undefined,
      members: memberIds?.length ?? null,
      roundRobin: input.roundRobin ?? null,
    },
  })
  const { data } = await listTeams(ctx)
  const updated = data.find((row) => row.id === teamId)
  if (!updated) throw notFound('team')
  return updated
}

/** Puts a number in a team (its new conversations go to the team's members in turn), or none. */
export async function setNumberTeam(ctx: ServiceContext, numberId: string, teamId: string | null) {
  authorize(ctx.principal, 'attendance.manage')
  const tenantId = ctx.principal.tenantId
  if (teamId !== null) {
    const [team] = await ctx.tx
      .select({ id: attendanceTeams.id })
      .from(attendanceTeams)
      .where(and(eq(attendanceTeams.id, teamId), eq(attendanceTeams.tenantId, tenantId)))
    if (!team) throw invalidField('json.team_id', 'not a team of this tenant')
  }
  const [number] = await ctx.tx
    .update(attendanceNumbers)
    .set({ teamId, updatedAt: new Date() })
    .where(and(eq(attendanceNumbers.id, numberId), eq(attendanceNumbers.tenantId, tenantId)))
    .returning({ id: attendanceNumbers.id, teamId: attendanceNumbers.teamId })
  if (!number) throw notFound('number')
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'attendance.number_team_set',
    tenantId,
    target: { type: 'attendance_number', id: numberId },
    data: { teamId },
  })
  return number
}

/**
 * Marks the signed-in member away (skipped by the rotation) or back. A person's presence: an API
 * key has none.
 */
export async function setAway(ctx: ServiceContext, away: boolean) {
  authorize(ctx.principal, 'attendance.reply')
  const principal = ctx.principal
  if (principal.kind !== 'member')
    throw new ApiError(403, 'NOT_A_SESSION', 'This action needs a signed-in user, not an API key.')
  await ctx.tx
    .insert(attendanceAgents)
    .values({ tenantId: principal.tenantId, userId: principal.id, away })
    .onConflictDoUpdate({ target: attendanceAgents.userId, set: { away, updatedAt: new Date() } })
  await writeAudit(ctx.tx, actorOf(principal), ctx.meta, {
    action: 'attendance.presence_set',
    tenantId: principal.tenantId,
    target: { type: 'member', id: principal.id },
    data: { away },
  })
  return { userId: principal.id, away }
}
