import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { unstable_readConfig } from 'wrangler'

/**
 * The queues as deployed (wrangler.toml, wrangler.ingress.toml): Meta's deliveries have a queue of
 * their own whose consumer does not wait for a batch to fill (a customer's message reaches an open
 * inbox at once), with its dead letters; collection jobs stay batched. Read by wrangler itself, so
 * a typo in a key fails here rather than in production.
 */
const root = path.resolve(import.meta.dirname, '../..')
const app = unstable_readConfig({ config: path.join(root, 'wrangler.toml') })
const edge = unstable_readConfig({ config: path.join(root, 'wrangler.ingress.toml') })
const consumer = (queue: string) => app.queues.consumers?.find((c: { queue: string }) => c.queue === queue)

describe('the queues', () => {
  it('gives webhook deliveries their own queue, consumed with no batch wait, with dead letters', () => {
    for (const config of [app, edge]) {
      expect(config.queues.producers).toContainEqual(
        expect.objectContaining({ binding: 'WEBHOOKS', queue: 'integra-webhooks' }),
      )
    }
    expect(consumer('integra-webhooks')).toMatchObject({
      max_batch_timeout: 0,
      dead_letter_queue: 'integra-webhooks-dlq',
    })
    // The dead-letter consumer is chosen by the queue's name (worker/index.ts).
    expect(consumer('integra-webhooks-dlq')).toBeDefined()
  })

  it('keeps collection jobs batched on their own queue', () => {
    expect(consumer('integra-jobs')).toMatchObject({
      max_batch_timeout: 2,
      dead_letter_queue: 'integra-jobs-dlq',
    })
    expect(consumer('integra-jobs-dlq')).toBeDefined()
  })
})
