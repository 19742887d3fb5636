import type { JobMessage } from '../jobs/messages.ts'
import type { JobQueue, KeyValueStore, ObjectStore, ObjectWriter } from './ports.ts'

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
    async list(prefix) {
      const keys: string[] = []
      let cursor: string | undefined
      // KV lists at most 1000 keys a call; the cursor walks the rest.
      do {
        const page = await namespace.list({ prefix, cursor })
        keys.push(...page.keys.map((key) => key.name))
        cursor = page.list_complete ? undefined : page.cursor
      } while (cursor)
      return keys
    },
  }
}

/**
 * R2 takes an object of unknown length only as a multipart upload whose parts (all but the last)
 * have one same size of at least 5 MiB. Smaller objects are one plain put.
 */
export const R2_PART_BYTES = 5 * 1024 * 1024

export function r2Objects(bucket: R2Bucket, partBytes = R2_PART_BYTES): ObjectStore {
  return {
    async create(key, { contentType }) {
      return r2Writer(bucket, key, contentType, partBytes)
    },
    async get(key) {
      const object = await bucket.get(key)
      return object ? { body: object.body, size: object.size } : null
    },
    async delete(keys) {
      // R2 deletes up to 1000 keys per call.
      for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000))
    },
    async list(prefix) {
      const keys: string[] = []
      let cursor: string | undefined
      do {
        const page = await bucket.list({ prefix, cursor })
        keys.push(...page.objects.map((object) => object.key))
        cursor = page.truncated ? page.cursor : undefined
      } while (cursor)
      return keys
    },
  }
}

function r2Writer(bucket: R2Bucket, key: string, contentType: string, partBytes: number): ObjectWriter {
  const httpMetadata = { contentType }
  let pending: Uint8Array[] = []
  let pendingBytes = 0
  let size = 0
  let upload: R2MultipartUpload | undefined
  const parts: R2UploadedPart[] = []

  // Cuts exactly `partBytes` from the front of what is pending.
  const take = (bytes: number): Uint8Array => {
    const out = new Uint8Array(bytes)
    let offset = 0
    while (offset < bytes) {
      const head = pending[0] as Uint8Array
      const used = Math.min(head.length, bytes - offset)
      out.set(head.subarray(0, used), offset)
      offset += used
      if (used === head.length) pending.shift()
      else pending[0] = head.subarray(used)
    }
    pendingBytes -= bytes
    return out
  }

  return {
    async write(chunk) {
      pending.push(chunk)
      pendingBytes += chunk.length
      size += chunk.length
      while (pendingBytes >= partBytes) {
        upload ??= await bucket.createMultipartUpload(key, { httpMetadata })
        parts.push(await upload.uploadPart(parts.length + 1, take(partBytes)))
      }
    },
    async close() {
      const rest = take(pendingBytes)
      pending = []
      if (!upload) {
        await bucket.put(key, rest, { httpMetadata })
      } else {
        if (rest.length > 0) parts.push(await upload.uploadPart(parts.length + 1, rest))
        await upload.complete(parts)
      }
      return { size }
    },
    async abort() {
      pending = []
      pendingBytes = 0
      await upload?.abort()
    },
  }
}
