import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
} from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import worker from '../../worker/index.ts'
import { retryDelaySeconds } from '../../worker/jobs/consumer.ts'
import { asOwner, createTestDatabase, sharedEnv, type TestDatabase } from '../helpers/env.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

// Distinct scheduled times per test so tests sharing the queue's database never collide.
const uniqueTime = () => Date.UTC(2030, 0, 1) + Math.floor(Math.random() * 1e9) * 1000

async function ticksIn(ownerUrl: string, scheduledTime: number): Promise<number> {
  const rows = await asOwner<{ n: string }>(
    ownerUrl,
    'select count(*) as n from cron_ticks where scheduled_at = $1',
    [new Date(scheduledTime).toISOString()],
  )
  return Number(rows[0]?.n)
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error('condition not met in time')
}

function batchOf(queue: string, bodies: unknown[], attempts = 1) {
  return createMessageBatch(
    queue,
    bodies.map((body, i) => ({ id: `msg-${i}`, timestamp: new Date(), attempts, body })),
  )
}

describe('cron → queue → consumer (real miniflare queue)', () => {
  it('scheduled() enqueues a tick that the consumer records as a row', async () => {
    const scheduledTime = uniqueTime()
    const controller = createScheduledController({ scheduledTime, cron: '*/15 * * * *' })
    await worker.scheduled(controller, sharedEnv, createExecutionContext())
    await eventually(async () => (await ticksIn(sharedEnv.TEST_OWNER_URL, scheduledTime)) === 1)
  })

  it('a producer send reaches the consumer', async () => {
    const scheduledTime = uniqueTime()
    await sharedEnv.JOBS.send({ type: 'cron.tick', v: 1, cron: 'manual', scheduledTime })
    await eventually(async () => (await ticksIn(sharedEnv.TEST_OWNER_URL, scheduledTime)) === 1)
  })
})

describe('job consumer', () => {
  it('acknowledges a message that can never parse instead of retrying it forever', async () => {
    const batch = batchOf('integra-jobs', [{ type: 'no.such.job' }, 'garbage'])
    const ctx = createExecutionContext()
    await worker.queue(batch, db.env, ctx)
    const result = await getQueueResult(batch, ctx)
    expect(result.explicitAcks.sort()).toEqual(['msg-0', 'msg-1'])
    expect(result.retryMessages).toEqual([])
  })

  it('records dead letters for operators', async () => {
    const batch = batchOf(
      'integra-jobs-dlq',
      [{ type: 'cron.tick', v: 1, cron: 'dead', scheduledTime: 1 }],
      6,
    )
    const ctx = createExecutionContext()
    await worker.queue(batch, db.env, ctx)
    const result = await getQueueResult(batch, ctx)
    expect(result.explicitAcks).toEqual(['msg-0'])
    const rows = await db.owner<{ type: string; attempts: number; queue: string }>(
      'select type, attempts, queue from job_dead_letters',
    )
    expect(rows).toEqual([{ type: 'cron.tick', attempts: 6, queue: 'integra-jobs-dlq' }])
  })
})

describe('retry backoff', () => {
  it('grows exponentially, is capped and never zero', () => {
    expect(retryDelaySeconds(1, () => 1)).toBe(2)
    expect(retryDelaySeconds(4, () => 1)).toBe(16)
    expect(retryDelaySeconds(30, () => 1)).toBe(900)
    expect(retryDelaySeconds(5, () => 0)).toBe(1)
  })
})
