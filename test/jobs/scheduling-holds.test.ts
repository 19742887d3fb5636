import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import worker from '../../worker/index.ts'
import type { JobMessage } from '../../worker/jobs/messages.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { portalClient } from '../helpers/portal.ts'
import { book, clinic, schedulingSetup } from '../helpers/scheduling.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const CRON = '*/15 * * * *'

/** Delivers one cron.tick for `scheduledTime` to the consumer against this file's database. */
async function tick(scheduledTime: number) {
  const body: JobMessage = { type: 'cron.tick', v: 1, cron: CRON, scheduledTime }
  const batch = createMessageBatch('integra-jobs', [{ id: 'tick', timestamp: new Date(), attempts: 1, body }])
  const ctx = createExecutionContext()
  await worker.queue(batch, db.env, ctx)
  return getQueueResult(batch, ctx)
}

/** A visitor holds the first free slot on the tenant's public page; the hold's appointment id. */
async function hold(slug: string, serviceId: string, professionalId: string) {
  const visitor = portalClient(db)
  const base = `/book/${slug}`
  const day = await (
    await visitor.request(`${base}?service=${serviceId}&professional=${professionalId}`)
  ).text()
  const starts = [...day.matchAll(/name="starts_at" value="([^"]+)"/g)].map((m) => m[1] as string)
  const held = await visitor.request(`${base}/hold`, {
    form: { service: serviceId, professional: professionalId, starts_at: starts[1] as string },
  })
  expect(held.status).toBe(303)
  const [row] = await db.owner<{ id: string; hold_expires_at: Date }>(
    `select a.id, a.hold_expires_at from appointments a join tenants t on t.id = a.tenant_id
     where t.slug = $1 and a.status = 'pending' and a.customer_id is null order by a.created_at desc limit 1`,
    [slug],
  )
  return row as { id: string; hold_expires_at: Date }
}

const rowOf = async (id: string) =>
  (
    await db.owner<{ status: string; cancelled_at: Date | null }>(
      'select status, cancelled_at from appointments where id = $1',
      [id],
    )
  )[0]

describe('the cron tick releases expired public holds', () => {
  it('cancels holds past their expiry, once, and leaves live holds and real bookings alone', async () => {
    const a = await schedulingSetup(db)
    const { professional, service } = await clinic(a.call)
    const expired = await hold(a.tenant.slug, service.id, professional.id)
    const live = await hold(a.tenant.slug, service.id, professional.id)
    await db.owner(`update appointments set hold_expires_at = now() - interval '1 minute' where id = $1`, [
      expired.id,
    ])
    // A staff booking is pending with no hold: never swept.
    const monday = new Date(Date.now() + 9 * 86_400_000)
    while (monday.getUTCDay() !== 1) monday.setUTCDate(monday.getUTCDate() + 1)
    const staff = await book(a.call, {
      service_id: service.id,
      professional_id: professional.id,
      starts_at: `${monday.toISOString().slice(0, 10)}T13:00:00Z`,
      status: 'pending',
    })
    expect(staff.status).toBe(201)
    const { id: pendingId } = (await staff.json()) as { id: string }

    // Ticks are claimed per slot; this one is "now", rounded to a second so it is fresh.
    const now = Math.floor(Date.now() / 1000) * 1000
    expect((await tick(now)).explicitAcks).toEqual(['tick'])
    expect(await rowOf(expired.id)).toMatchObject({ status: 'cancelled' })
    expect((await rowOf(expired.id))?.cancelled_at?.getTime()).toBe(now)
    expect((await rowOf(live.id))?.status).toBe('pending')
    expect((await rowOf(pendingId))?.status).toBe('pending')

    // The same slot again (a doubled tick or a redelivery) claims nothing and changes nothing.
    await db.owner(`update appointments set hold_expires_at = now() - interval '1 minute' where id = $1`, [
      live.id,
    ])
    await tick(now)
    expect((await rowOf(live.id))?.status).toBe('pending')
    // The next slot sweeps it.
    await tick(now + 1000)
    expect((await rowOf(live.id))?.status).toBe('cancelled')
    expect((await rowOf(pendingId))?.status).toBe('pending')
  })
})
