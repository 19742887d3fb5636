import type { ObjectStore, ObjectWriter } from '../ports.ts'

/** Bytes per stored part: under Deno KV's 64 KiB value limit with room for its framing. */
export const OBJECT_PART_BYTES = 60_000

type Head = { upload: string; parts: number; size: number; contentType: string }

/**
 * The ObjectStore port (portability archives) on Deno KV: an object is written as numbered parts
 * of one upload, and becomes visible only when `close` points the object's head at that upload;
 * a reader therefore never sees half an archive, and an aborted or replaced upload's parts are
 * deleted. This runs wherever Deno KV does (Deno Deploy included, which has no writable disk);
 * an S3-compatible bucket over HTTP is the other choice for large volumes (docs/deno.md).
 */
export function kvObjects(kv: Deno.Kv, namespace = 'objects'): ObjectStore {
  const headKey = (key: string) => [namespace, key]
  const partKey = (upload: string, i: number) => [`${namespace}-parts`, upload, i]

  async function dropParts(upload: string, parts: number): Promise<void> {
    for (let i = 0; i < parts; i += 100) {
      const atomic = kv.atomic()
      for (let j = i; j < Math.min(parts, i + 100); j++) atomic.delete(partKey(upload, j))
      await atomic.commit()
    }
  }

  return {
    async create(key, { contentType }): Promise<ObjectWriter> {
      const upload = crypto.randomUUID()
      let pending = new Uint8Array(0)
      let parts = 0
      let size = 0
      const flush = async (bytes: Uint8Array) => {
        await kv.set(partKey(upload, parts), bytes)
        parts++
      }
      return {
        async write(chunk) {
          size += chunk.length
          const joined = new Uint8Array(pending.length + chunk.length)
          joined.set(pending)
          joined.set(chunk, pending.length)
          let offset = 0
          while (joined.length - offset >= OBJECT_PART_BYTES) {
            await flush(joined.slice(offset, offset + OBJECT_PART_BYTES))
            offset += OBJECT_PART_BYTES
          }
          pending = joined.slice(offset)
        },
        async close() {
          if (pending.length > 0) await flush(pending)
          const previous = (await kv.get<Head>(headKey(key))).value
          await kv.set(headKey(key), { upload, parts, size, contentType } satisfies Head)
          if (previous) await dropParts(previous.upload, previous.parts)
          return { size }
        },
        async abort() {
          pending = new Uint8Array(0)
          await dropParts(upload, parts)
        },
      }
    },
    async get(key) {
      const head = (await kv.get<Head>(headKey(key))).value
      if (!head) return null
      let next = 0
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (next >= head.parts) return controller.close()
          const part = await kv.get<Uint8Array>(partKey(head.upload, next++))
          if (!part.value) return controller.error(new Error(`object ${key} lost part ${next - 1}`))
          controller.enqueue(part.value)
        },
      })
      return { body, size: head.size }
    },
    async delete(keys) {
      for (const key of keys) {
        const head = (await kv.get<Head>(headKey(key))).value
        if (!head) continue
        await kv.delete(headKey(key))
        await dropParts(head.upload, head.parts)
      }
    },
    async list(prefix) {
      const keys: string[] = []
      for await (const entry of kv.list({ start: [namespace, prefix], end: [namespace, `${prefix}\uffff`] }))
        keys.push(String(entry.key[1]))
      return keys
    },
  }
}
