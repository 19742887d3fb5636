import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { createMember, createTenant } from '../helpers/fixtures.ts'
import { portalClient } from '../helpers/portal.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

/** The menu's links, in order. */
async function menuOf(modules: string[], role: 'owner' | 'viewer' = 'owner') {
  const tenant = await createTenant(db, { modules })
  const member = await createMember(db, tenant.tenantId, role)
  const client = portalClient(db, { acceptLanguage: 'en' })
  await client.login(member.email)
  const html = await (await client.request('/app/account')).text()
  const nav = /<nav class="nav"[^>]*>([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? ''
  return [...nav.matchAll(/href="([^"]+)"/g)].map((match) => match[1])
}

describe('the client portal menu', () => {
  it('shows a module only when the plan has it', async () => {
    const metricsOnly = await menuOf(['metrics'])
    expect(metricsOnly).toContain('/app/metrics')
    expect(metricsOnly).not.toContain('/app/calendar')
    const calendarOnly = await menuOf(['calendar'])
    expect(calendarOnly).toContain('/app/calendar')
    expect(calendarOnly).not.toContain('/app/metrics')
    expect(await menuOf(['metrics', 'calendar'])).toEqual(
      expect.arrayContaining(['/app/metrics', '/app/calendar']),
    )
  })

  it('shows management pages to managers only', async () => {
    expect(await menuOf(['metrics'], 'owner')).toEqual(expect.arrayContaining(['/app/team', '/app/api-keys']))
    const viewer = await menuOf(['metrics'], 'viewer')
    expect(viewer).not.toContain('/app/team')
    expect(viewer).not.toContain('/app/api-keys')
    expect(viewer).toContain('/app/account')
  })
})
