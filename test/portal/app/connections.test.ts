import { beforeAll, describe, expect, it } from 'vitest'
import { uniqueAccount } from '../../helpers/connections.ts'
import { captureQueue, createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember, createTenant } from '../../helpers/fixtures.ts'
import { portalClient } from '../../helpers/portal.ts'

let db: TestDatabase
beforeAll(async () => {
  const own = await createTestDatabase()
  // The register flow queues a backfill: recorded here, not delivered.
  db = { ...own, env: { ...own.env, JOBS: captureQueue().queue } }
})

async function signedInOwner() {
  const tenant = await createTenant(db)
  const owner = await createMember(db, tenant.tenantId, 'owner')
  const client = portalClient(db)
  expect((await client.login(owner.email)).status).toBe(303)
  return { tenant, client }
}

describe('portal: register a connection with a token', () => {
  it('connects with a valid token (trimmed as pasted) and redirects to the list', async () => {
    const { tenant, client } = await signedInOwner()
    const account = uniqueAccount('178414')
    const response = await client.request('/app/connections', {
      form: {
        platform: 'instagram',
        external_account_id: account,
        access_token: `  fake-ig-${crypto.randomUUID()}\n`,
        // A browser sends the empty optional fields too.
        label: '',
        refresh_token: '',
      },
    })
    expect(response.status).toBe(303)
    expect(
      await db.owner('select platform from connections where tenant_id = $1', [tenant.tenantId]),
    ).toEqual([{ platform: 'instagram' }])
  })

  it('refuses a token with a line break or space inside on the form (400), never calling the platform or echoing it', async () => {
    const { tenant, client } = await signedInOwner()
    for (const token of [`fake-ig-${crypto.randomUUID()}\nfake`, `fake-ig ${crypto.randomUUID()}`]) {
      const response = await client.request('/app/connections', {
        form: {
          platform: 'instagram',
          external_account_id: uniqueAccount('178414'),
          label: '',
          access_token: token,
          refresh_token: '',
        },
      })
      expect(response.status).toBe(400)
      const html = await response.text()
      expect(html).toContain('name="access_token"')
      expect(html).toContain('aria-invalid="true"')
      expect(html).not.toContain(token.slice(0, 20))
    }
    expect(await db.owner('select 1 from connections where tenant_id = $1', [tenant.tenantId])).toEqual([])
  })

  it('refuses text Postgres cannot store (a NUL in the label) on the form, not with a 500', async () => {
    const { tenant, client } = await signedInOwner()
    const response = await client.request('/app/connections', {
      form: {
        platform: 'instagram',
        external_account_id: uniqueAccount('178414'),
        label: 'Loja\u0000Centro',
        access_token: `fake-ig-${crypto.randomUUID()}`,
        refresh_token: '',
      },
    })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('aria-invalid="true"')
    expect(await db.owner('select 1 from connections where tenant_id = $1', [tenant.tenantId])).toEqual([])
  })
})
