import type { DbHandle } from '../../db/client.ts'
import type { Config } from '../config.ts'
import type { JobMessage } from '../jobs/messages.ts'
import type { RealtimeEvent } from '../realtime/events.ts'

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
  /** Every key starting with `prefix` (all pages of the runtime's listing), e.g. a tenant's vault keys. */
  list(prefix: string): Promise<string[]>
}

/** An object being written part by part, so a large one is never held in memory whole. */
export interface ObjectWriter {
  write(chunk: Uint8Array): Promise<void>
  /** Finishes the object; returns its size in bytes. */
  close(): Promise<{ size: number }>
  /** Gives up: nothing of the object remains. */
  abort(): Promise<void>
}

/** Large files (portability archives): written in parts, read as a stream, listed by prefix. */
export interface ObjectStore {
  create(key: string, options: { contentType: string }): Promise<ObjectWriter>
  get(key: string): Promise<{ body: ReadableStream<Uint8Array>; size: number } | null>
  delete(keys: string[]): Promise<void>
  list(prefix: string): Promise<string[]>
}

/**
 * Real-time signals to a tenant's open portal pages (docs/realtime.md). Called only after the
 * transaction that made the change has committed (a page that hears an event reads the change
 * back at once); through `publishEvents` (services/realtime/publish.ts), which logs a failure
 * instead of failing the work: a page that missed an event catches up by polling.
 */
export interface EventPublisher {
  /** Hands `events` to every page of the tenant subscribed to one of their topics. */
  publish(tenantId: string, events: readonly RealtimeEvent[]): Promise<void>
}

/** What a request or a job gets to work with, built once per request by the `init` middleware. */
export type Services = {
  config: Config
  db: DbHandle
  jobs: JobQueue
  /**
   * Meta's webhook deliveries (queue WEBHOOKS): the same typed jobs on a queue consumed without
   * waiting for a batch, so a customer's message reaches an open inbox at once.
   */
  webhooks: JobQueue
  tokens: KeyValueStore
  /** Portability archives (R2 bucket EXPORTS). */
  exports: ObjectStore
  /** Kept files: report PDFs, documents, templates, logos (R2 bucket FILES, keys `tenants/<id>/…`). */
  files: ObjectStore
  /** Real-time events to the tenant's open pages (Durable Object TENANT_EVENTS). */
  events: EventPublisher
}
