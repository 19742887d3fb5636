import { beforeAll, describe, expect, it } from 'vitest'
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
