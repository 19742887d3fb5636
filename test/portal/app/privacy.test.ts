import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember, createOperator, createTenant } from '../../helpers/fixtures.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

async function signedIn(role: 'owner' | 'admin' | 'viewer', acceptLanguage = 'en') {
  const tenant = await createTenant(db)
  const member = await createMember(db, tenant.tenantId, role)
  const client = portalClient(db, { acceptLanguage })
  await client.login(member.email)
  return { tenant, member, client }
}

describe('client portal privacy page', () => {
  it('renders consents, export and erasure for the owner in both languages', async () => {
    const en = await signedIn('owner', 'en')
    const page = await en.client.request('/app/privacy')
    expect(page.status).toBe(200)
    const html = await page.text()
    const text = textOf(html)
    expect(text).toContain('Consents')
    expect(text).toContain('Collection of social media metrics')
    expect(text).toContain('Granted (default)')
    expect(text).toContain('Export my data')
    expect(text).toContain('Request erasure')
    expect(html).toContain('name="_csrf"')
    expect(html).not.toMatch(/<script(?![^>]*src=)[^>]*>/)

    const pt = await signedIn('owner', 'pt-BR')
    const ptText = textOf(await (await pt.client.request('/app/privacy')).text())
    expect(ptText).toContain('Consentimentos')
    expect(ptText).toContain('Exportar meus dados')
    expect(ptText).toContain('Pedir eliminação')
  })

  it('names a connection’s consent by the connection’s label, never its id', async () => {
    const { tenant, client } = await signedIn('owner')
    const kept = newId('con')
    const erased = newId('con')
    await db.owner(
      `insert into connections (id, tenant_id, platform, external_account_id, label)
       values ($1, $2, 'instagram', '17841400000000001', 'Instagram @loja')`,
      [kept, tenant.tenantId],
    )
    for (const id of [kept, erased])
      await db.owner(
        `insert into consents (id, tenant_id, subject, subject_id, purpose, policy_version, granted)
         values ($1, $2, 'connection', $3, 'metrics_collection', '2026-11', true)`,
        [newId('cns'), tenant.tenantId, id],
      )
    const html = await (await client.request('/app/privacy')).text()
    const text = textOf(html)
    expect(text).toContain('Connection Instagram @loja')
    expect(text).toContain('A connection removed since')
    expect(text).not.toMatch(/con_[0-9a-z]{20}/)
  })

  it('revokes consent with the purge offer, then grants it again; forms need the CSRF token', async () => {
    const { client } = await signedIn('admin')
    const form = { subject: 'tenant', subject_id: '', purpose: 'metrics_collection', granted: 'false' }
    const refused = await client.request('/app/privacy/consent', { form, withoutToken: true })
    expect(refused.status).toBe(403)

    const revoked = await client.request('/app/privacy/consent', { form })
    expect(revoked.status).toBe(200)
    const text = textOf(await revoked.text())
    expect(text).toContain('Consent revoked')
    expect(text).toContain('Also delete what was already collected?')
    expect(text).toContain('Delete collected metrics')

    const purged = await client.request('/app/privacy/purge', { form: {} })
    expect(purged.status).toBe(303)
    expect(purged.headers.get('location')).toBe('/app/privacy?done=purged')

    const granted = await client.request('/app/privacy/consent', { form: { ...form, granted: 'true' } })
    expect(granted.status).toBe(303)
    const page = textOf(await (await client.request('/app/privacy?done=granted')).text())
    expect(page).toContain('Consent granted.')
    expect(page).toContain('Revoke')
  })

  it('starts an export and polls its status as a fragment; another tenant’s id is a 404 page', async () => {
    const { client } = await signedIn('owner')
    const started = await client.request('/app/privacy/exports', { form: {} })
    expect(started.status).toBe(303)
    expect(started.headers.get('location')).toBe('/app/privacy?done=exported')
    const html = await (await client.request('/app/privacy?done=exported')).text()
    expect(textOf(html)).toContain('Export started')
    const id = /\/app\/privacy\/exports\/(exp_[0-9a-z]{20})/.exec(html)?.[1] as string
    expect(id).toBeDefined()
    expect(html).toContain('hx-trigger="every 3s"')

    const again = await client.request('/app/privacy/exports', { form: {} })
    expect(again.headers.get('location')).toBe('/app/privacy?error=EXPORT_IN_PROGRESS')

    const fragment = await client.request(`/app/privacy/exports/${id}`, { headers: { 'hx-request': 'true' } })
    expect(fragment.status).toBe(200)
    const body = await fragment.text()
    expect(body).not.toMatch(/^<!DOCTYPE/)
    expect(body).toContain('id="export-status"')
    expect(textOf(body)).toContain('Queued')

    const stranger = await signedIn('owner')
    const other = await stranger.client.request(`/app/privacy/exports/${id}`)
    expect(other.status).toBe(404)
    expect(await other.text()).toMatch(/^<!DOCTYPE/)
    const unknown = await stranger.client.request(`/app/privacy/exports/${newId('exp')}`)
    expect(unknown.status).toBe(404)
  })

  it('asks the owner to confirm an erasure request, then shows it pending', async () => {
    const { client } = await signedIn('owner')
    const ask = textOf(await (await client.request('/app/privacy?erase=confirm')).text())
    expect(ask).toContain('Confirm the erasure request')
    const unconfirmed = await client.request('/app/privacy/erasure', { form: {} })
    expect(unconfirmed.headers.get('location')).toBe('/app/privacy?erase=confirm#erasure')
    const requested = await client.request('/app/privacy/erasure', { form: { confirm: 'yes' } })
    expect(requested.status).toBe(303)
    expect(requested.headers.get('location')).toBe('/app/privacy?done=erasure')
    const page = textOf(await (await client.request('/app/privacy?done=erasure')).text())
    expect(page).toContain('awaiting confirmation by Integra')
  })

  it('lets a viewer read the page but not revoke, export or erase (403 page)', async () => {
    const { client } = await signedIn('viewer')
    const page = await client.request('/app/privacy')
    expect(page.status).toBe(200)
    const text = textOf(await page.text())
    expect(text).toContain('Only the owner or an admin')
    expect(text).not.toContain('Export my data')
    const attempts = [
      client.request('/app/privacy/consent', {
        form: { subject: 'tenant', subject_id: '', purpose: 'metrics_collection', granted: 'false' },
      }),
      client.request('/app/privacy/exports', { form: {} }),
      client.request('/app/privacy/erasure', { form: { confirm: 'yes' } }),
    ]
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(403)
      expect(await response.text()).toMatch(/^<!DOCTYPE/)
    }
  })

  it('refuses erasure to an admin who is not the owner', async () => {
    const { client } = await signedIn('admin')
    expect(textOf(await (await client.request('/app/privacy')).text())).toContain(
      'Only the owner of the organization can request its erasure.',
    )
    const response = await client.request('/app/privacy/erasure', { form: { confirm: 'yes' } })
    expect(response.status).toBe(403)
  })
})

describe('admin central privacy pages', () => {
  it('shows the records of processing with the CSV link in both languages, to operators only', async () => {
    const operator = await createOperator(db)
    for (const [language, title] of [
      ['en', 'Records of processing'],
      ['pt-BR', 'Registro das operações'],
    ] as const) {
      const admin = portalClient(db, { acceptLanguage: language })
      await admin.login(operator.email, 'admin')
      const page = await admin.request('/admin/privacy/processing-records')
      expect(page.status).toBe(200)
      const html = await page.text()
      expect(textOf(html)).toContain(title)
      expect(html).toContain('href="/admin/privacy/processing-records.csv"')
      expect(html).toContain('<table>')
      const csv = await admin.request('/admin/privacy/processing-records.csv')
      expect(csv.status).toBe(200)
      expect(csv.headers.get('content-type')).toContain('text/csv')
      expect((await csv.text()).split(/\r?\n/)[0]).toBe(
        'id,purpose,data_subjects,data_categories,legal_basis,retention,sub_processors,storage',
      )
    }
    const { client } = await signedIn('owner')
    const member = await client.request('/admin/privacy/processing-records')
    expect(member.status).toBe(303)
  })
})
