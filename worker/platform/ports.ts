import type { JobMessage } from '../jobs/messages.ts'

/**
 * The seams between the product and its runtime. Routes, services and jobs only see these
 * interfaces; `cloudflare.ts` implements them with Workers bindings, and another runtime can
 * implement them without touching the callers.
 */
export interface JobQueue {
  send(message: JobMessage, options?: { delaySeconds?: number }): Promise<void>
  /** Sends any number of messages, split into the runtime's batch limit; returns the batch calls made. */
  sendMany(messages: JobMessage[]): Promise<number>
}

export interface KeyValueStore {
  get(key: string): Promise<string | null>
  put(
    key: string,
    value: string,
    options?: { expirationTtl?: number; metadata?: Record<string, unknown> },
  ): Promise<void>
  delete(key: string): Promise<void>
}
