import { beforeAll, describe, expect, it } from 'vitest'
import { PROCESSING_ACTIVITIES } from '../../../worker/services/privacy/processing-records.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { as, createMember, createOperator, createTenant, errorCode, login } from '../../helpers/fixtures.ts'
import { callWorker } from '../../helpers/worker.ts'

let db: TestDatabase
let operatorCall: ReturnType<typeof as>
beforeAll(async () => {
  db = await createTestDatabase()
  operatorCall = as(db, (await login(db, (await createOperator(db)).email)).access_token)
})

describe('GET /api/v1/admin/processing-records', () => {
  it('lists every processing activity with purpose, categories, legal basis, retention and sub-processors', async () => {
    const response = await operatorCall('/api/v1/admin/processing-records')
    expect(response.status).toBe(200)
    const { data } = (await response.json()) as { data: Record<string, unknown>[] }
    expect(data).toHaveLength(PROCESSING_ACTIVITIES.length)
    for (const activity of data) {
      expect(activity).toMatchObject({
        purpose: expect.any(String),
        data_categories: expect.arrayContaining([expect.any(String)]),
        legal_basis: expect.stringMatching(/Art\. 7/),
        retention: expect.any(String),
      })
      const names = (activity.sub_processors as { name: string }[]).map((s) => s.name)
      expect(names).toEqual(expect.arrayContaining(['Cloudflare, Inc.', 'Neon (Databricks, Inc.)']))
    }
    const collection = data.find((a) => a.id === 'metrics_collection') as {
      sub_processors: { service: string }[]
    }
    expect(collection.sub_processors.map((s) => s.service)).toEqual(
      expect.arrayContaining([
        'Instagram Graph API',
        'Facebook Pages (Graph API)',
        'WhatsApp Business Platform',
        'X API v2',
        'TikTok Display API',
      ]),
    )
  })

  it('exports the same records as CSV, one row per activity, quotes escaped', async () => {
    const response = await operatorCall('/api/v1/admin/processing-records?format=csv')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    const rows = (await response.text()).trimEnd().split('\r\n')
    expect(rows[0]).toBe(
      'id,purpose,data_subjects,data_categories,legal_basis,retention,sub_processors,storage',
    )
    expect(rows).toHaveLength(PROCESSING_ACTIVITIES.length + 1)
    expect(rows.find((row) => row.startsWith('"metrics_collection"'))).toContain('"consent (Art. 7 I)"')
    // "customers' staff" and similar survive; every field is quoted.
    for (const row of rows.slice(1)) expect(row.startsWith('"') && row.endsWith('"')).toBe(true)
  })

  it('is for operators: 401 without a token, 403 for a tenant owner, 400 for an unknown format', async () => {
    expect((await callWorker(db.env, '/api/v1/admin/processing-records')).status).toBe(401)
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const denied = await as(
      db,
      (await login(db, owner.email)).access_token,
    )('/api/v1/admin/processing-records')
    expect(denied.status).toBe(403)
    const bad = await operatorCall('/api/v1/admin/processing-records?format=xml')
    expect(bad.status).toBe(400)
    expect(await errorCode(bad)).toBe('VALIDATION_FAILED')
  })
})
