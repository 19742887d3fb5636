import { describe, expect, it } from 'vitest'
import type { JobMessage } from '../../worker/jobs/messages.ts'
import { cloudflareQueue, workersKv } from '../../worker/runtime/cloudflare.ts'
import { sharedEnv } from '../helpers/env.ts'

describe('KV through the key-value seam', () => {
  it('round-trips a value, then deletes it', async () => {
    const store = workersKv(sharedEnv.TOKENS)
    const key = `test:${crypto.randomUUID()}`
    expect(await store.get(key)).toBeNull()
    await store.put(key, 'ciphertext-bytes', { metadata: { v: 1 } })
    expect(await store.get(key)).toBe('ciphertext-bytes')
    await store.delete(key)
    expect(await store.get(key)).toBeNull()
  })
})

describe('queue seam', () => {
  it('splits any number of messages into batches of at most 100', async () => {
    const calls: number[] = []
    const fakeQueue = {
      send: async () => {},
      sendBatch: async (batch: Iterable<unknown>) => {
        calls.push([...batch].length)
      },
    } as unknown as Queue<JobMessage>
    const messages = Array.from(
      { length: 250 },
      (_, i): JobMessage => ({
        type: 'cron.tick',
        v: 1,
        cron: 'x',
        scheduledTime: i,
      }),
    )
    expect(await cloudflareQueue(fakeQueue).sendMany(messages)).toBe(3)
    expect(calls).toEqual([100, 100, 50])
  })
})
