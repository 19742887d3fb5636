import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations')

/** Applies every pending migration in migrations/ as the owner role. Safe to run repeatedly. */
export async function applyMigrations(connectionString: string): Promise<void> {
  const client = new pg.Client({ connectionString })
  await client.connect()
  try {
    await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS_DIR })
  } finally {
    await client.end()
  }
}

// `npm run db:migrate`: against MIGRATION_DATABASE_URL (the owner), else DATABASE_URL.
if (import.meta.main) {
  const url = process.env.MIGRATION_DATABASE_URL ?? process.env.DATABASE_URL
  if (!url) {
    console.error('Set MIGRATION_DATABASE_URL (owner role) or DATABASE_URL to the database to migrate.')
    process.exit(2)
  }
  await applyMigrations(url)
  console.log('migrations applied')
}
