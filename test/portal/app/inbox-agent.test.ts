import { beforeAll, describe, expect, it } from 'vitest'
import { attendanceSetup, customerWrites } from '../../helpers/attendance.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember } from '../../helpers/fixtures.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'

/** The agent role in the portal: the inbox is their home and the only work the menu offers. */
let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const menuOf = (html: string) =>
  [...(/<nav class="nav"[\s\S]*?<\/nav>/.exec(html)?.[0] ?? '').matchAll(/href="([^"]+)"/g)].map((m) => m[1])

describe('an agent in the portal', () => {
  it('lands on the inbox and sees only the inbox (and their own account) in the menu', async () => {
    const t = await attendanceSetup(db)
    await customerWrites(t, { name: 'Beatriz Cliente', text: 'Bom dia!' })
    const agent = await createMember(db, t.tenant.tenantId, 'agent')
    const browser = portalClient(t.scoped, { acceptLanguage: 'pt-BR' })
    expect((await browser.login(agent.email)).status).toBe(303)

    const home = await browser.request('/app')
    expect(home.status).toBe(303)
    expect(home.headers.get('location')).toBe('/app/inbox')

    const inbox = await browser.request('/app/inbox')
    expect(inbox.status).toBe(200)
    const html = await inbox.text()
    expect(textOf(html)).toContain('Beatriz Cliente')
    expect(menuOf(html)).toEqual(['/app/inbox', '/app/sessions', '/app/account', '/app/privacy'])

    for (const page of ['/app/team', '/app/metrics', '/app/connections', '/app/settings', '/app/api-keys']) {
      const answer = await browser.request(page)
      expect(answer.status, page).toBe(403)
    }
  })

  it('is offered on the team page, in both languages', async () => {
    const t = await attendanceSetup(db)
    const owner = await createMember(db, t.tenant.tenantId, 'owner')
    for (const [language, label] of [
      ['pt-BR', 'Atendente'],
      ['en', 'Agent'],
    ] as const) {
      const browser = portalClient(t.scoped, { acceptLanguage: language })
      expect((await browser.login(owner.email)).status).toBe(303)
      const html = await (await browser.request('/app/team')).text()
      expect(html).toContain(`<option value="agent">${label}</option>`)
    }
  })

  it('an owner’s menu still shows everything the plan has', async () => {
    const t = await attendanceSetup(db)
    const owner = await createMember(db, t.tenant.tenantId, 'owner')
    const browser = portalClient(t.scoped, { acceptLanguage: 'en' })
    expect((await browser.login(owner.email)).status).toBe(303)
    const html = await (await browser.request('/app/inbox')).text()
    expect(menuOf(html)).toEqual([
      '/app',
      '/app/connections',
      '/app/metrics',
      '/app/reports',
      '/app/inbox',
      '/app/messages',
      '/app/team',
      '/app/api-keys',
      '/app/settings',
      '/app/sessions',
      '/app/account',
      '/app/privacy',
    ])
  })
})
