import { base64url } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { DbHandle } from '../../db/client.ts'
import { workersKv } from '../../worker/runtime/cloudflare.ts'
import { type MasterKey, parseMasterKeys } from '../../worker/vault/master-keys.ts'
import {
  kvKeyOf,
  type SecretRef,
  SecretUnreadableError,
  StaleSecretError,
  Vault,
} from '../../worker/vault/vault.ts'
import { createTestDatabase, sharedEnv, type TestDatabase } from '../helpers/env.ts'
import { createTenant } from '../helpers/fixtures.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const masterKey = (kid: string): MasterKey => ({ kid, key: crypto.getRandomValues(new Uint8Array(32)) })
const kv = workersKv(sharedEnv.TOKENS)

/** Runs vault work in one tenant transaction as the application role (RLS applies). */
async function withVault<T>(
  tenantId: string,
  keys: MasterKey[],
  work: (vault: Vault) => Promise<T>,
): Promise<T> {
  const handle = new DbHandle({
    connectionString: db.env.DATABASE_URL as string,
    wsProxy: db.env.NEON_WS_PROXY,
    connectTimeoutMs: 5000,
  })
  try {
    return await handle.transaction((tx) => work(new Vault(tx, kv, keys)), { tenantId })
  } finally {
    await handle.close()
  }
}

const ref = (
  tenantId: string,
  ownerId = 'con_test',
  purpose: SecretRef['purpose'] = 'access_token',
): SecretRef => ({
  tenantId,
  ownerId,
  purpose,
})

describe('vault', () => {
  const keys = [masterKey('k1')]

  it('round-trips a secret; KV holds only ciphertext under a key that reveals nothing secret', async () => {
    const { tenantId } = await createTenant(db)
    const secret = 'EAAB-very-secret-token-1234'
    await withVault(tenantId, keys, (vault) => vault.put(ref(tenantId), secret, 1))
    const stored = await kv.get(kvKeyOf(ref(tenantId)))
    expect(stored).not.toBeNull()
    expect(stored).not.toContain('very-secret')
    expect(kvKeyOf(ref(tenantId))).not.toContain('very-secret')
    expect(await withVault(tenantId, keys, (vault) => vault.get(ref(tenantId), 1))).toBe(secret)
    const [row] = await db.owner<{ wrapped_key: string }>(
      'select wrapped_key from tenant_keys where tenant_id = $1',
      [tenantId],
    )
    expect(row?.wrapped_key).toMatch(/^[\w-]+\.[\w-]+$/)
  })

  it('uses a fresh nonce each time', async () => {
    const { tenantId } = await createTenant(db)
    await withVault(tenantId, keys, (vault) => vault.put(ref(tenantId), 'same', 1))
    const first = await kv.get(kvKeyOf(ref(tenantId)))
    await withVault(tenantId, keys, (vault) => vault.put(ref(tenantId), 'same', 1))
    expect(await kv.get(kvKeyOf(ref(tenantId)))).not.toBe(first)
  })

  it('refuses a ciphertext moved to another connection, purpose or tenant', async () => {
    const a = await createTenant(db)
    const b = await createTenant(db)
    await withVault(a.tenantId, keys, (vault) => vault.put(ref(a.tenantId), 'token-a', 1))
    const copied = (await kv.get(kvKeyOf(ref(a.tenantId)))) as string
    const targets = [
      ref(a.tenantId, 'con_other'),
      ref(a.tenantId, 'con_test', 'refresh_token'),
      ref(b.tenantId),
    ]
    for (const target of targets) {
      await kv.put(kvKeyOf(target), copied)
      await expect(withVault(target.tenantId, keys, (vault) => vault.get(target, 1))).rejects.toBeInstanceOf(
        SecretUnreadableError,
      )
    }
  })

  it('reports a value older than the expected version as stale (KV lag), and a missing one too', async () => {
    const { tenantId } = await createTenant(db)
    await withVault(tenantId, keys, (vault) => vault.put(ref(tenantId), 'v1', 1))
    await expect(withVault(tenantId, keys, (vault) => vault.get(ref(tenantId), 2))).rejects.toBeInstanceOf(
      StaleSecretError,
    )
    await expect(
      withVault(tenantId, keys, (vault) => vault.get(ref(tenantId, 'con_none'), 1)),
    ).rejects.toBeInstanceOf(StaleSecretError)
    expect(await withVault(tenantId, keys, (vault) => vault.find(ref(tenantId, 'con_none'), 1))).toBeNull()
  })

  it('rotates the master key by re-wrapping tenant keys without rewriting KV', async () => {
    const { tenantId } = await createTenant(db)
    const old = masterKey('old')
    await withVault(tenantId, [old], (vault) => vault.put(ref(tenantId), 'survives rotation', 1))
    const before = await kv.get(kvKeyOf(ref(tenantId)))
    const next = masterKey('new')
    expect(await withVault(tenantId, [next, old], (vault) => vault.rewrap(tenantId))).toBe(true)
    expect(await kv.get(kvKeyOf(ref(tenantId)))).toBe(before)
    // The old master key can now be removed from the secret.
    expect(await withVault(tenantId, [next], (vault) => vault.get(ref(tenantId), 1))).toBe(
      'survives rotation',
    )
    expect(await withVault(tenantId, [next], (vault) => vault.rewrap(tenantId))).toBe(false)
  })

  it('crypto-shreds: after the tenant key is destroyed, a saved ciphertext cannot be opened', async () => {
    const { tenantId } = await createTenant(db)
    await withVault(tenantId, keys, (vault) => vault.put(ref(tenantId), 'to be shredded', 1))
    const copy = (await kv.get(kvKeyOf(ref(tenantId)))) as string
    await withVault(tenantId, keys, (vault) => vault.destroyTenantKey(tenantId))
    await kv.put(kvKeyOf(ref(tenantId)), copy)
    await expect(withVault(tenantId, keys, (vault) => vault.get(ref(tenantId), 1))).rejects.toThrow(
      /destroyed/,
    )
    // Nor is a new key silently created in its place.
    await expect(withVault(tenantId, keys, (vault) => vault.put(ref(tenantId), 'x', 2))).rejects.toThrow(
      /destroyed/,
    )
  })

  it('keeps tenant keys invisible to other tenants (row-level security)', async () => {
    const a = await createTenant(db)
    const b = await createTenant(db)
    await withVault(a.tenantId, keys, (vault) => vault.put(ref(a.tenantId), 'a', 1))
    // As tenant B, A's ciphertext cannot be opened with A's tenant id: B's transaction cannot see A's key
    // and the vault refuses to create one for a tenant other than the transaction's.
    await expect(withVault(b.tenantId, keys, (vault) => vault.get(ref(a.tenantId), 1))).rejects.toThrow()
  })
})

describe('master key parsing', () => {
  it('accepts kid:base64url(32 bytes) lists and names bad entries without echoing them', () => {
    const good = base64url.encode(new Uint8Array(32).fill(7))
    expect(parseMasterKeys(`a:${good}, b:${good}`).map((k) => k.kid)).toEqual(['a', 'b'])
    expect(() => parseMasterKeys('a:short')).toThrow(/entry 1/)
    try {
      parseMasterKeys(`a:${good},b:not-a-secret-but-echo-test`)
    } catch (error) {
      expect((error as Error).message).not.toContain('echo-test')
    }
    expect(() => parseMasterKeys('')).toThrow()
  })
})
