import { base64url } from 'jose'
import type { ObjectStore } from '../../runtime/ports.ts'

/**
 * Kept files (the FILES bucket): report PDFs, generated documents, templates, logos. Every key
 * starts with `tenants/<tenant id>/`, so a tenant's files are listed and erased by one prefix and
 * a key handed in by a caller can be checked to be its own tenant's (`ownsKey`).
 */
export const tenantPrefix = (tenantId: string) => `tenants/${tenantId}/`

/** A key under the tenant's prefix; `parts` are our own ids and names, never user text. */
export const tenantFileKey = (tenantId: string, ...parts: string[]) =>
  `${tenantPrefix(tenantId)}${parts.join('/')}`

/** True when `key` is one of the tenant's files (and has no path tricks in it). */
export const ownsKey = (tenantId: string, key: string) =>
  key.startsWith(tenantPrefix(tenantId)) &&
  !key.split('/').some((part) => part === '..' || part === '.' || part === '')

/** Stores `bytes` whole (the files kept here are a few MiB at most); returns the size. */
export async function putFile(
  store: ObjectStore,
  key: string,
  bytes: Uint8Array,
  contentType: string,
): Promise<number> {
  const writer = await store.create(key, { contentType })
  try {
    await writer.write(bytes)
    return (await writer.close()).size
  } catch (error) {
    await writer.abort()
    throw error
  }
}

/** A stored file read whole, or null when it is not (or no longer) there. */
export async function readFile(store: ObjectStore, key: string): Promise<Uint8Array | null> {
  const object = await store.get(key)
  if (!object) return null
  return new Uint8Array(await new Response(object.body).arrayBuffer())
}

/** Standard padded base64 (what Resend's `attachments[].content` takes). */
export function toBase64(bytes: Uint8Array): string {
  const url = base64url.encode(bytes).replace(/-/g, '+').replace(/_/g, '/')
  return url + '='.repeat((4 - (url.length % 4)) % 4)
}
