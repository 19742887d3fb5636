import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import worker from '../../worker/index.ts'
import type { JobMessage } from '../../worker/jobs/messages.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { createTenant } from '../helpers/fixtures.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const CRON = '*/15 * * * *'
const SLOT_MS = 15 * 60_000
// Distinct slots per test: the sweep runs only when a tick claims a slot it has not seen.
const uniqueSlot = () => Date.UTC(2031, 0, 1) + Math.floor(Math.random() * 1e6) * SLOT_MS
/** Past, but after the fixtures' valid_from (a day ago), as the validity check requires. */
const anHourAgo = () => new Date(Date.now() - 3600_000)
const inAMonth = () => new Date(Date.now() + 30 * 86400_000)

/** Delivers one cron.tick to the consumer against this file's database. */
async function tick(scheduledTime: number) {
  const body: JobMessage = { type: 'cron.tick', v: 1, cron: CRON, scheduledTime }
  const batch = createMessageBatch('integra-jobs', [{ id: 'tick', timestamp: new Date(), attempts: 1, body }])
  const ctx = createExecutionContext()
  await worker.queue(batch, db.env, ctx)
  return getQueueResult(batch, ctx)
}

async function statusOf(licenseId: string): Promise<string | undefined> {
  const [row] = await db.owner<{ status: string }>('select status from licenses where id = $1', [licenseId])
  return row?.status
}

async function expiryAudits(licenseId: string) {
  return db.owner<{
    actor_type: string
    actor_id: string | null
    tenant_id: string
    data: Record<string, unknown>
  }>(
    "select actor_type, actor_id, tenant_id, data from audit_log where action = 'license.expired' and target_id = $1",
    [licenseId],
  )
}

describe('license expiry sweep on cron.tick', () => {
  it('expires trialing and active licenses past valid_until, each with a system audit row', async () => {
    const active = await createTenant(db, { licenseStatus: 'active', validUntil: anHourAgo() })
    const trialing = await createTenant(db, { licenseStatus: 'trialing', validUntil: anHourAgo() })
    const result = await tick(uniqueSlot())
    expect(result.explicitAcks).toEqual(['tick'])
    for (const [fixture, previous] of [
      [active, 'active'],
      [trialing, 'trialing'],
    ] as const) {
      expect(await statusOf(fixture.licenseId)).toBe('expired')
      const audits = await expiryAudits(fixture.licenseId)
      expect(audits).toEqual([
        {
          actor_type: 'system',
          actor_id: null,
          tenant_id: fixture.tenantId,
          data: { previous_status: previous, valid_until: expect.any(String) },
        },
      ])
    }
  })

  it('leaves licenses still valid, and those already past_due, suspended or canceled, alone', async () => {
    const valid = await createTenant(db, { licenseStatus: 'active', validUntil: inAMonth() })
    const others = await Promise.all(
      (['past_due', 'suspended', 'canceled'] as const).map((status) =>
        createTenant(db, { licenseStatus: status, validUntil: anHourAgo() }),
      ),
    )
    await tick(uniqueSlot())
    expect(await statusOf(valid.licenseId)).toBe('active')
    expect(await Promise.all(others.map((o) => statusOf(o.licenseId)))).toEqual([
      'past_due',
      'suspended',
      'canceled',
    ])
    for (const fixture of [valid, ...others]) expect(await expiryAudits(fixture.licenseId)).toEqual([])
  })

  it('does not sweep again on a duplicate firing of a slot already claimed', async () => {
    const slot = uniqueSlot()
    await tick(slot)
    const late = await createTenant(db, { licenseStatus: 'active', validUntil: anHourAgo() })
    await tick(slot)
    expect(await statusOf(late.licenseId)).toBe('active')
    await tick(slot + SLOT_MS)
    expect(await statusOf(late.licenseId)).toBe('expired')
    expect(await expiryAudits(late.licenseId)).toHaveLength(1)
  })

  it('rolls back the claim with the sweep when an audit row cannot be written, so the retry does both', async () => {
    const fixture = await createTenant(db, { licenseStatus: 'active', validUntil: anHourAgo() })
    const slot = uniqueSlot()
    await db.owner(`create function fail_expiry_audit() returns trigger language plpgsql as $$
      begin raise exception 'audit refused'; end $$`)
    await db.owner(`create trigger fail_expiry_audit before insert on audit_log for each row
      when (new.action = 'license.expired') execute function fail_expiry_audit()`)
    try {
      const failed = await tick(slot)
      expect(failed.retryMessages.map((m) => m.msgId)).toEqual(['tick'])
      expect(await statusOf(fixture.licenseId)).toBe('active')
      const claims = await db.owner('select 1 from cron_ticks where scheduled_at = $1', [new Date(slot)])
      expect(claims).toEqual([])
    } finally {
      await db.owner('drop trigger fail_expiry_audit on audit_log')
      await db.owner('drop function fail_expiry_audit()')
    }
    const retried = await tick(slot)
    expect(retried.explicitAcks).toEqual(['tick'])
    expect(await statusOf(fixture.licenseId)).toBe('expired')
    expect(await expiryAudits(fixture.licenseId)).toHaveLength(1)
  })
})
