import { and, eq, sql } from 'drizzle-orm'
import { base64url } from 'jose'
import type { Tx } from '../../db/client.ts'
import { tenantKeys, vaultEdgeCopies } from '../../db/schema/index.ts'
import type { KeyValueStore } from '../runtime/ports.ts'
import type { MasterKey } from './master-keys.ts'

/**
 * Envelope encryption for third-party secrets. Each tenant has a random 256-bit data key (DEK),
 * stored in Postgres wrapped (AES-256-GCM) by a master key from a Worker secret; secrets are
 * sealed with the DEK (AES-256-GCM, fresh 96-bit nonce) and the ciphertext goes to KV. The
 * additional data binds tenant, connection, purpose and version, so a ciphertext copied to
 * another tenant, connection or purpose, or an old version replayed, fails to open.
 */

export type SecretPurpose =
  | 'access_token'
  | 'refresh_token'
  | 'app_secret'
  | 'verify_token'
  | 'ical_url'
  | 'bot_token'
  | 'totp_secret'
export type SecretRef = { tenantId: string; ownerId: string; purpose: SecretPurpose }

/** A KV value older than the version Postgres expects: KV is eventually consistent, retry later. */
export class StaleSecretError extends Error {
  readonly found: number | null
  readonly expected: number
  constructor(found: number | null, expected: number) {
    super(`secret version ${found ?? 'missing'} is older than expected ${expected}`)
    this.name = 'StaleSecretError'
    this.found = found
    this.expected = expected
  }
}

/** The tenant's key is gone (crypto-shredded) or the ciphertext was tampered with or moved. */
export class SecretUnreadableError extends Error {
  constructor(reason: string) {
    super(`secret cannot be opened: ${reason}`)
    this.name = 'SecretUnreadableError'
  }
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

async function aesKey(raw: Uint8Array, usages: ('encrypt' | 'decrypt')[]): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, usages)
}

async function seal(key: CryptoKey, plaintext: Uint8Array, aad: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: encoder.encode(aad) },
    key,
    plaintext,
  )
  return `${base64url.encode(iv)}.${base64url.encode(new Uint8Array(ciphertext))}`
}

async function unseal(key: CryptoKey, sealed: string, aad: string): Promise<Uint8Array> {
  const [iv, ciphertext] = sealed.split('.')
  if (!iv || !ciphertext) throw new SecretUnreadableError('malformed ciphertext')
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: base64url.decode(iv), additionalData: encoder.encode(aad) },
      key,
      base64url.decode(ciphertext),
    )
    return new Uint8Array(plaintext)
  } catch {
    throw new SecretUnreadableError('authentication failed')
  }
}

const wrapAad = (tenantId: string) => `integra/tenant-key/${tenantId}`
const secretAad = (ref: SecretRef, version: number) =>
  `integra/secret/${ref.tenantId}/${ref.ownerId}/${ref.purpose}/v${version}`

/** KV keys name what a value is for, never anything secret. */
export const kvKeyOf = (ref: SecretRef) => `vault/${ref.tenantId}/${ref.ownerId}/${ref.purpose}`

type Stored = { v: 1; ver: number; s: string }

/**
 * Edge sealing: for paths that must read a secret without Postgres (the Meta webhook, which keeps
 * accepting events while the database is down), where the tenant's data key cannot be unwrapped.
 * The key is HKDF-SHA256 of a master key bound to the tenant id, so one tenant's derived key opens
 * nothing of another's. Such copies are not protected by the data key: crypto-shredding holds for
 * them because they are registered in `vault_edge_copies` and deleted with the data key
 * (`destroyTenantKey`); transient ones (a spilled webhook body) live until processed, 4 days at most.
 */
const edgeKey = (master: MasterKey, tenantId: string, usages: ('encrypt' | 'decrypt')[]) =>
  derivedKey(master, 'integra/vault-edge/v1', tenantId, usages)

/** An AES-256-GCM key derived (HKDF-SHA256) from a master key for one use (`salt`) and one owner (`info`). */
async function derivedKey(master: MasterKey, salt: string, info: string, usages: ('encrypt' | 'decrypt')[]) {
  const material = await crypto.subtle.importKey('raw', master.key, 'HKDF', false, ['deriveKey'])
  return crypto.subtle.deriveKey(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: encoder.encode(salt),
      info: encoder.encode(info),
    },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    usages,
  )
}

/** Sealed under the edge key; the KV key and tenant are bound as additional data. */
type EdgeSealed = { v: 1; t: string; kid: string; s: string }
const edgeAad = (kvKey: string, tenantId: string) => `integra/edge/${kvKey}/${tenantId}`

/** Seals `plaintext` for `kvKey` under the newest master key's edge key of the tenant. */
export async function sealForEdge(
  masterKeys: MasterKey[],
  tenantId: string,
  kvKey: string,
  plaintext: string,
): Promise<string> {
  const newest = masterKeys[0]
  if (!newest) throw new Error('vault has no master key')
  const key = await edgeKey(newest, tenantId, ['encrypt'])
  const sealed: EdgeSealed = {
    v: 1,
    t: tenantId,
    kid: newest.kid,
    s: await seal(key, encoder.encode(plaintext), edgeAad(kvKey, tenantId)),
  }
  return JSON.stringify(sealed)
}

/**
 * Reads and opens an edge-sealed value with no database: the tenant id travels in the value and
 * is authenticated by the additional data. Null when KV has nothing under `kvKey`.
 */
export async function openFromEdge(
  kv: KeyValueStore,
  masterKeys: MasterKey[],
  kvKey: string,
): Promise<{ tenantId: string; plaintext: string } | null> {
  const raw = await kv.get(kvKey)
  if (!raw) return null
  const sealed = JSON.parse(raw) as EdgeSealed
  const master = masterKeys.find((key) => key.kid === sealed.kid)
  if (!master) throw new SecretUnreadableError(`master key ${sealed.kid} is not configured`)
  const key = await edgeKey(master, sealed.t, ['decrypt'])
  const plaintext = await unseal(key, sealed.s, edgeAad(kvKey, sealed.t))
  return { tenantId: sealed.t, plaintext: decoder.decode(plaintext) }
}

/**
 * Who a secret kept in a Postgres row belongs to: a tenant's member (sealed with the tenant's data
 * key, so erasing the tenant shreds it) or an operator (no tenant: a key derived from the master
 * key for operators' secrets, named by its kid so rotation can still open older values).
 */
export type RowSecretRef = { tenantId: string | null; ownerId: string; purpose: SecretPurpose }
const rowAad = (ref: RowSecretRef) =>
  `integra/row-secret/${ref.tenantId ?? 'operators'}/${ref.ownerId}/${ref.purpose}`
const OPERATOR_SALT = 'integra/vault-operators/v1'

/** The vault for one request or job: data keys are unwrapped at most once per instance. */
export class Vault {
  readonly #tx: Tx
  readonly #kv: KeyValueStore
  readonly #masterKeys: MasterKey[]
  readonly #deks = new Map<string, Promise<CryptoKey>>()

  constructor(tx: Tx, kv: KeyValueStore, masterKeys: MasterKey[]) {
    this.#tx = tx
    this.#kv = kv
    this.#masterKeys = masterKeys
  }

  async #wrapWithNewest(dek: Uint8Array, tenantId: string): Promise<{ kid: string; wrapped: string }> {
    const newest = this.#masterKeys[0]
    if (!newest) throw new Error('vault has no master key')
    return {
      kid: newest.kid,
      wrapped: await seal(await aesKey(newest.key, ['encrypt']), dek, wrapAad(tenantId)),
    }
  }

  async #unwrap(tenantId: string, kid: string, wrapped: string): Promise<Uint8Array> {
    const master = this.#masterKeys.find((key) => key.kid === kid)
    if (!master) throw new SecretUnreadableError(`master key ${kid} is not configured`)
    return unseal(await aesKey(master.key, ['decrypt']), wrapped, wrapAad(tenantId))
  }

  /** The tenant's data key, created on first use. A destroyed key is never recreated. */
  #dek(tenantId: string): Promise<CryptoKey> {
    let dek = this.#deks.get(tenantId)
    if (!dek) {
      dek = (async () => {
        let [row] = await this.#tx.select().from(tenantKeys).where(eq(tenantKeys.tenantId, tenantId))
        if (!row) {
          const raw = crypto.getRandomValues(new Uint8Array(32))
          const { kid, wrapped } = await this.#wrapWithNewest(raw, tenantId)
          await this.#tx
            .insert(tenantKeys)
            .values({ tenantId, masterKid: kid, wrappedKey: wrapped })
            .onConflictDoNothing()
          ;[row] = await this.#tx.select().from(tenantKeys).where(eq(tenantKeys.tenantId, tenantId))
        }
        if (!row?.wrappedKey || !row.masterKid || row.destroyedAt)
          throw new SecretUnreadableError('the tenant key was destroyed')
        return aesKey(await this.#unwrap(tenantId, row.masterKid, row.wrappedKey), ['encrypt', 'decrypt'])
      })()
      dek.catch(() => this.#deks.delete(tenantId))
      this.#deks.set(tenantId, dek)
    }
    return dek
  }

  /** Encrypts and stores a secret as `version`; the caller records that version in Postgres. */
  async put(ref: SecretRef, plaintext: string, version: number): Promise<void> {
    const sealed = await seal(
      await this.#dek(ref.tenantId),
      encoder.encode(plaintext),
      secretAad(ref, version),
    )
    const value: Stored = { v: 1, ver: version, s: sealed }
    await this.#kv.put(kvKeyOf(ref), JSON.stringify(value))
  }

  /**
   * Reads a secret expecting `version`. An older value (or none) means KV has not caught up
   * with a recent write: StaleSecretError, which consumers answer by retrying later.
   */
  async get(ref: SecretRef, expectedVersion: number): Promise<string> {
    const raw = await this.#kv.get(kvKeyOf(ref))
    const stored = raw ? (JSON.parse(raw) as Stored) : null
    if (!stored || stored.ver < expectedVersion)
      throw new StaleSecretError(stored?.ver ?? null, expectedVersion)
    const plaintext = await unseal(await this.#dek(ref.tenantId), stored.s, secretAad(ref, stored.ver))
    return decoder.decode(plaintext)
  }

  /** Like get, but null when nothing is stored (e.g. an optional refresh token). */
  async find(ref: SecretRef, expectedVersion: number): Promise<string | null> {
    try {
      return await this.get(ref, expectedVersion)
    } catch (error) {
      if (error instanceof StaleSecretError && error.found === null) return null
      throw error
    }
  }

  /**
   * Seals a small secret to be stored in the owner's own Postgres row rather than in KV: read in
   * the same transaction as the row (a sign-in cannot wait for KV to catch up), still ciphertext
   * bound to its owner and purpose, so a value copied to another row does not open.
   */
  async sealRow(ref: RowSecretRef, plaintext: string): Promise<string> {
    if (ref.tenantId)
      return `t.${await seal(await this.#dek(ref.tenantId), encoder.encode(plaintext), rowAad(ref))}`
    const newest = this.#masterKeys[0]
    if (!newest) throw new Error('vault has no master key')
    const key = await derivedKey(newest, OPERATOR_SALT, ref.ownerId, ['encrypt'])
    return `o.${newest.kid}.${await seal(key, encoder.encode(plaintext), rowAad(ref))}`
  }

  /** Opens what `sealRow` sealed for the same owner and purpose. */
  async openRow(ref: RowSecretRef, sealed: string): Promise<string> {
    const [kind, ...rest] = sealed.split('.')
    if (kind === 't' && ref.tenantId) {
      return decoder.decode(await unseal(await this.#dek(ref.tenantId), rest.join('.'), rowAad(ref)))
    }
    if (kind === 'o' && !ref.tenantId) {
      const [kid, ...value] = rest
      const master = this.#masterKeys.find((key) => key.kid === kid)
      if (!master) throw new SecretUnreadableError(`master key ${kid} is not configured`)
      const key = await derivedKey(master, OPERATOR_SALT, ref.ownerId, ['decrypt'])
      return decoder.decode(await unseal(key, value.join('.'), rowAad(ref)))
    }
    throw new SecretUnreadableError('sealed for another kind of owner')
  }

  async delete(ref: SecretRef): Promise<void> {
    await this.#kv.delete(kvKeyOf(ref))
  }

  /**
   * Re-wraps this tenant's data key under the newest master key; KV is not touched except for the
   * tenant's edge copies, which are sealed under the master key itself and are re-sealed too.
   */
  async rewrap(tenantId: string): Promise<boolean> {
    const [row] = await this.#tx.select().from(tenantKeys).where(eq(tenantKeys.tenantId, tenantId))
    const newest = this.#masterKeys[0]
    if (!row?.wrappedKey || !row.masterKid || !newest || row.masterKid === newest.kid) return false
    const dek = await this.#unwrap(tenantId, row.masterKid, row.wrappedKey)
    const { kid, wrapped } = await this.#wrapWithNewest(dek, tenantId)
    await this.#tx
      .update(tenantKeys)
      .set({ masterKid: kid, wrappedKey: wrapped, rewrappedAt: sql`now()` })
      .where(eq(tenantKeys.tenantId, tenantId))
    for (const copy of await this.#edgeCopies(tenantId)) {
      const opened = await openFromEdge(this.#kv, this.#masterKeys, copy.kvKey)
      if (opened)
        await this.#kv.put(
          copy.kvKey,
          await sealForEdge(this.#masterKeys, tenantId, copy.kvKey, opened.plaintext),
        )
    }
    return true
  }

  #edgeCopies(tenantId: string) {
    return this.#tx
      .select({ kvKey: vaultEdgeCopies.kvKey })
      .from(vaultEdgeCopies)
      .where(eq(vaultEdgeCopies.tenantId, tenantId))
  }

  /**
   * Stores an edge copy (see `sealForEdge`): a secret readable by `openFromEdge` without Postgres.
   * Registered in `vault_edge_copies` under `name`, one per tenant and name: a copy under a new KV
   * key (a renamed slug) replaces and deletes the previous one. Refused once the data key is
   * destroyed, like every other write of the tenant's secrets.
   */
  async putEdgeCopy(tenantId: string, name: string, kvKey: string, plaintext: string): Promise<void> {
    await this.#dek(tenantId)
    const [previous] = await this.#tx
      .select({ kvKey: vaultEdgeCopies.kvKey })
      .from(vaultEdgeCopies)
      .where(and(eq(vaultEdgeCopies.tenantId, tenantId), eq(vaultEdgeCopies.name, name)))
    await this.#tx
      .insert(vaultEdgeCopies)
      .values({ tenantId, name, kvKey })
      .onConflictDoUpdate({
        target: [vaultEdgeCopies.tenantId, vaultEdgeCopies.name],
        set: { kvKey, updatedAt: sql`now()` },
      })
    await this.#kv.put(kvKey, await sealForEdge(this.#masterKeys, tenantId, kvKey, plaintext))
    if (previous && previous.kvKey !== kvKey) await this.#kv.delete(previous.kvKey)
  }

  /**
   * Takes the tenant's edge copies out of KV while keeping them registered, so nothing at the
   * edge answers for a suspended tenant (its Meta webhooks find no endpoint). The secrets stay
   * in the vault: `putEdgeCopy` puts a copy back. Returns the KV keys withdrawn.
   */
  async withdrawEdgeCopies(tenantId: string): Promise<string[]> {
    const copies = await this.#edgeCopies(tenantId)
    for (const copy of copies) await this.#kv.delete(copy.kvKey)
    return copies.map((copy) => copy.kvKey)
  }

  /** Crypto-shredding: without the data key every ciphertext of the tenant is noise. */
  async destroyTenantKey(tenantId: string): Promise<void> {
    this.#deks.delete(tenantId)
    // Edge copies are sealed under the master key, not the data key: they go with it.
    const copies = await this.#tx
      .delete(vaultEdgeCopies)
      .where(eq(vaultEdgeCopies.tenantId, tenantId))
      .returning({ kvKey: vaultEdgeCopies.kvKey })
    for (const copy of copies) await this.#kv.delete(copy.kvKey)
    await this.#tx
      .insert(tenantKeys)
      .values({ tenantId, masterKid: null, wrappedKey: null, destroyedAt: sql`now()` })
      .onConflictDoUpdate({
        target: tenantKeys.tenantId,
        set: { masterKid: null, wrappedKey: null, destroyedAt: sql`now()` },
      })
  }
}
