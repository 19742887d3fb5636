import { beforeAll, describe, expect, it } from 'vitest'
import { attendanceSetup, customerWrites } from '../../helpers/attendance.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember } from '../../helpers/fixtures.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'

/** `/app/inbox/settings`: hours, away message and switch, dates that differ, teams. */
let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

async function ownerBrowser(language: 'pt-BR' | 'en' = 'pt-BR', modules?: string[]) {
  const t = await attendanceSetup(db, modules ? { modules } : {})
  const owner = await createMember(db, t.tenant.tenantId, 'owner')
  const browser = portalClient(t.scoped, { acceptLanguage: language })
  expect((await browser.login(owner.email)).status).toBe(303)
  return { t, browser, owner }
}
const settingsOf = async (tenantId: string) =>
  (
    await db.owner<{ weekly: unknown; exceptions: unknown; away_message: string | null; away_now: boolean }>(
      'select weekly, exceptions, away_message, away_now from attendance_settings where tenant_id = $1',
      [tenantId],
    )
  )[0]
const back = (response: Response) => {
  expect(response.status).toBe(303)
  return response.headers.get('location')
}

describe('/app/inbox/settings', () => {
  it('saves the hours and the away message, dates that differ and the away switch', async () => {
    const { t, browser } = await ownerBrowser()
    const page = await browser.request('/app/inbox/settings')
    expect(page.status).toBe(200)
    const text = textOf(await page.text())
    for (const words of ['Horário de atendimento', 'Ausente agora', 'Datas diferentes', 'Equipes', 'Segunda'])
      expect(text).toContain(words)

    const form: Record<string, string> = {
      time_zone: 'America/Sao_Paulo',
      away_message: '  Voltamos às 9h.  ',
    }
    for (const weekday of [1, 2, 3, 4, 5])
      Object.assign(form, { [`start_${weekday}`]: '09:00', [`end_${weekday}`]: '18:00' })
    expect(back(await browser.request('/app/inbox/settings/hours', { form }))).toBe(
      '/app/inbox/settings?done=saved',
    )
    expect(await settingsOf(t.tenant.tenantId)).toEqual({
      weekly: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: 540, end: 1080 })),
      exceptions: [],
      away_message: 'Voltamos às 9h.',
      away_now: false,
    })
    // A closing time before the opening one refuses the whole form and keeps what was stored.
    const refused = await browser.request('/app/inbox/settings/hours', { form: { ...form, end_1: '08:00' } })
    expect(back(refused)).toBe('/app/inbox/settings?error=VALIDATION_FAILED')
    expect((await settingsOf(t.tenant.tenantId))?.weekly).toHaveLength(5)

    await browser.request('/app/inbox/settings/exceptions', {
      form: { date: '2026-12-25', start: '', end: '' },
    })
    await browser.request('/app/inbox/settings/exceptions', {
      form: { date: '2026-12-24', start: '09:00', end: '12:00' },
    })
    expect((await settingsOf(t.tenant.tenantId))?.exceptions).toEqual([
      { date: '2026-12-24', start: 540, end: 720 },
      { date: '2026-12-25' },
    ])
    const listed = textOf(await (await browser.request('/app/inbox/settings')).text())
    expect(listed).toContain('fechado o dia todo')
    expect(listed).toContain('aberto das 09:00 às 12:00')
    await browser.request('/app/inbox/settings/exceptions/delete', { form: { date: '2026-12-25' } })
    expect((await settingsOf(t.tenant.tenantId))?.exceptions).toEqual([
      { date: '2026-12-24', start: 540, end: 720 },
    ])

    expect(back(await browser.request('/app/inbox/settings/away', { form: { on: '1' } }))).toBe(
      '/app/inbox/settings?done=saved',
    )
    expect((await settingsOf(t.tenant.tenantId))?.away_now).toBe(true)
    const away = textOf(await (await browser.request('/app/inbox/settings')).text())
    expect(away).toContain('Ausente desde')
    expect(away).toContain('Desligar ausência')
    await browser.request('/app/inbox/settings/away', { form: { on: '0' } })
    expect((await settingsOf(t.tenant.tenantId))?.away_now).toBe(false)
  })

  it('creates a team, changes its members and round-robin, and gives a number to it', async () => {
    const { t, browser } = await ownerBrowser('en')
    const agents = await Promise.all([t.member('agent'), t.member('agent')])
    const [a, b] = agents as [(typeof agents)[0], (typeof agents)[0]]
    expect(
      back(
        await browser.request('/app/inbox/settings/teams', {
          form: { name: 'Front desk', member_ids: [a.id] },
        }),
      ),
    ).toBe('/app/inbox/settings?done=saved')
    const [team] = await db.owner<{ id: string }>('select id from attendance_teams where tenant_id = $1', [
      t.tenant.tenantId,
    ])
    const teamId = team?.id ?? ''
    await browser.request(`/app/inbox/settings/numbers/${t.numberId}/team`, { form: { team_id: teamId } })
    expect((await customerWrites(t)).conversationId).toBeTruthy()
    const assigned = await db.owner<{ assignee_id: string | null }>(
      'select assignee_id from attendance_conversations where tenant_id = $1',
      [t.tenant.tenantId],
    )
    expect(assigned.map((row) => row.assignee_id)).toEqual([a.id])

    // Both members, round-robin off (the box left unticked): the next conversation stays unassigned.
    await browser.request(`/app/inbox/settings/teams/${teamId}`, {
      form: { name: 'Front desk', member_ids: [a.id, b.id] },
    })
    const [row] = await db.owner<{ round_robin: boolean; members: number }>(
      `select round_robin, (select count(*)::int from attendance_team_members where team_id = $1) as members
       from attendance_teams where id = $1`,
      [teamId],
    )
    expect(row).toEqual({ round_robin: false, members: 2 })
    const html = await (await browser.request('/app/inbox/settings')).text()
    expect(textOf(html)).toContain('Hand out new conversations in turn')
    // Names on screen, never ids.
    expect(textOf(html)).not.toMatch(/\b(usr|atm|anb)_[0-9a-z]{20}\b/)

    // Another tenant's team reads like an unknown one.
    const other = await ownerBrowser('en')
    const foreign = await other.browser.request(`/app/inbox/settings/teams/${teamId}`, {
      form: { name: 'Mine', member_ids: [] },
    })
    expect(foreign.status).toBe(404)
    const bad = await browser.request(`/app/inbox/settings/numbers/${t.numberId}/team`, {
      form: { team_id: 'x' },
    })
    expect(back(bad)).toBe('/app/inbox/settings?error=VALIDATION_FAILED')
  })

  it('is for owners and admins with the module; agents keep the inbox without the link', async () => {
    const { t } = await ownerBrowser()
    const agent = await createMember(db, t.tenant.tenantId, 'agent')
    const browser = portalClient(t.scoped, { acceptLanguage: 'pt-BR' })
    expect((await browser.login(agent.email)).status).toBe(303)
    expect((await browser.request('/app/inbox/settings')).status).toBe(403)
    expect((await browser.request('/app/inbox/settings/away', { form: { on: '1' } })).status).toBe(403)
    expect(await settingsOf(t.tenant.tenantId)).toBeUndefined()
    expect(await (await browser.request('/app/inbox')).text()).not.toContain('/app/inbox/settings')

    const owner = await ownerBrowser('pt-BR')
    expect(await (await owner.browser.request('/app/inbox')).text()).toContain('/app/inbox/settings')
    const disabled = await ownerBrowser('pt-BR', ['metrics'])
    expect((await disabled.browser.request('/app/inbox/settings')).status).toBe(403)
    const anonymous = portalClient(t.scoped)
    const login = await anonymous.request('/app/inbox/settings')
    expect(login.status).toBe(303)
    expect(login.headers.get('location')).toContain('/app/login')
  })
})
