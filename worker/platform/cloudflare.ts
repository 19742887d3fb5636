import type { JobMessage } from '../jobs/messages.ts'
import type { JobQueue, KeyValueStore } from './ports.ts'

/** Cloudflare Queues accept at most 100 messages per sendBatch call. */
export const QUEUE_BATCH_LIMIT = 100

export function cloudflareQueue(queue: Queue<JobMessage>): JobQueue {
  return {
    async send(message, options) {
      await queue.send(message, { contentType: 'json', delaySeconds: options?.delaySeconds })
    },
    async sendMany(messages) {
      let calls = 0
      for (let i = 0; i < messages.length; i += QUEUE_BATCH_LIMIT) {
        const chunk = messages.slice(i, i + QUEUE_BATCH_LIMIT)
        await queue.sendBatch(chunk.map((body) => ({ body, contentType: 'json' as const })))
        calls++
      }
      return calls
    },
  }
}

export function workersKv(namespace: KVNamespace): KeyValueStore {
  return {
    get: (key) => namespace.get(key, 'text'),
    async put(key, value, options) {
      await namespace.put(key, value, options)
    },
    delete: (key) => namespace.delete(key),
  }
}
