import { beforeAll, describe, expect, it } from 'vitest'
import { onUniqueViolation, uniqueViolation } from '../../db/errors.ts'
import { newId } from '../../db/ids.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

describe('database roles', () => {
  it('the application role cannot bypass row-level security', async () => {
    const rows = await db.owner(
      'select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles where rolname = $1',
      ['integra_app'],
    )
    expect(rows).toEqual([{ rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false }])
  })

  it('the application role owns no table', async () => {
    const rows = await db.owner(
      "select tablename from pg_tables where schemaname = 'public' and tableowner = 'integra_app'",
    )
    expect(rows).toEqual([])
  })

  it('every table is readable and writable by the application role', async () => {
    const rows = await db.owner<{ tablename: string }>(
      `select tablename from pg_tables where schemaname = 'public'
       and not has_table_privilege('integra_app', format('%I.%I', schemaname, tablename), 'SELECT, INSERT, UPDATE, DELETE')`,
    )
    expect(rows).toEqual([])
  })
})

describe('unique violations', () => {
  const conflict = () => new Error('taken')

  async function failure(text: string, params: unknown[]): Promise<unknown> {
    return db.owner(text, params).then(
      () => null,
      (error: unknown) => error,
    )
  }

  it('names the violated constraint of a driver error, also wrapped as drizzle wraps it', async () => {
    const slug = `t-${crypto.randomUUID().slice(0, 8)}`
    const insert = 'insert into tenants (id, slug, name) values ($1, $2, $3)'
    await db.owner(insert, [newId('ten'), slug, 'First'])
    const error = await failure(insert, [newId('ten'), slug, 'Second'])
    expect(uniqueViolation(error)).toBe('tenants_slug_key')
    expect(uniqueViolation(new Error('Failed query', { cause: error }))).toBe('tenants_slug_key')
    expect(() => onUniqueViolation({ tenants_slug_key: conflict })(error)).toThrow('taken')
    // Another constraint is not this one's conflict: the driver error goes on unchanged.
    expect(() => onUniqueViolation({ plans_code_key: conflict })(error)).toThrow(error as Error)
  })

  it('is null for any other failure', async () => {
    const error = await failure('insert into tenants (id, slug) values ($1, null)', [newId('ten')])
    expect(error).toMatchObject({ code: '23502' })
    expect(uniqueViolation(error)).toBeNull()
    expect(uniqueViolation(new Error('no code'))).toBeNull()
    expect(() => onUniqueViolation({ tenants_slug_key: conflict })(error)).toThrow(error as Error)
  })
})
