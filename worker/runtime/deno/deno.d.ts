/**
 * The few Deno APIs the Deno entry uses, declared for `tsc` (the project type-checks against
 * workers-types, where `Deno` does not exist). The shapes follow Deno 2's lib.deno.unstable.d.ts;
 * only this folder may touch them (the rest of the app sees the ports of ../ports.ts).
 */
declare namespace Deno {
  type KvKeyPart = string | number | bigint | boolean | Uint8Array
  type KvKey = readonly KvKeyPart[]
  interface KvEntryMaybe<T> {
    key: KvKey
    value: T | null
    versionstamp: string | null
  }
  interface KvEntry<T> {
    key: KvKey
    value: T
    versionstamp: string
  }
  class KvU64 {
    constructor(value: bigint)
    readonly value: bigint
  }
  interface KvCommitResult {
    ok: true
    versionstamp: string
  }
  interface KvCommitError {
    ok: false
  }
  interface AtomicOperation {
    check(...checks: { key: KvKey; versionstamp: string | null }[]): AtomicOperation
    set(key: KvKey, value: unknown, options?: { expireIn?: number }): AtomicOperation
    sum(key: KvKey, n: bigint): AtomicOperation
    delete(key: KvKey): AtomicOperation
    enqueue(
      value: unknown,
      options?: { delay?: number; keysIfUndelivered?: KvKey[]; backoffSchedule?: number[] },
    ): AtomicOperation
    commit(): Promise<KvCommitResult | KvCommitError>
  }
  type KvListSelector = { prefix: KvKey } | { prefix: KvKey; start: KvKey } | { start: KvKey; end: KvKey }
  interface KvListIterator<T> extends AsyncIterableIterator<KvEntry<T>> {
    readonly cursor: string
  }
  interface Kv {
    get<T = unknown>(key: KvKey): Promise<KvEntryMaybe<T>>
    getMany<T extends readonly unknown[]>(keys: KvKey[]): Promise<KvEntryMaybe<T[number]>[]>
    set(key: KvKey, value: unknown, options?: { expireIn?: number }): Promise<KvCommitResult>
    delete(key: KvKey): Promise<void>
    list<T = unknown>(selector: KvListSelector, options?: { limit?: number }): KvListIterator<T>
    atomic(): AtomicOperation
    enqueue(
      value: unknown,
      options?: { delay?: number; keysIfUndelivered?: KvKey[]; backoffSchedule?: number[] },
    ): Promise<KvCommitResult>
    listenQueue(handler: (value: unknown) => Promise<void> | void): Promise<void>
    close(): void
  }
  function openKv(path?: string): Promise<Kv>

  interface ServeHandlerInfo {
    remoteAddr: { hostname: string; port: number }
  }
  interface HttpServer {
    readonly finished: Promise<void>
    shutdown(): Promise<void>
  }
  function serve(
    options: {
      port?: number
      hostname?: string
      signal?: AbortSignal
      onListen?: (addr: { port: number }) => void
    },
    handler: (request: Request, info: ServeHandlerInfo) => Response | Promise<Response>,
  ): HttpServer

  function cron(name: string, schedule: string, handler: () => Promise<void> | void): Promise<void>

  const env: {
    get(key: string): string | undefined
    toObject(): Record<string, string>
  }
  function readFile(path: string | URL): Promise<Uint8Array>
  function addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void
  function exit(code?: number): never
  const errors: { NotFound: new (...args: unknown[]) => Error }
}

/** Deno's `import.meta.url` (workers-types does not declare it). */
interface ImportMeta {
  readonly url: string
}
