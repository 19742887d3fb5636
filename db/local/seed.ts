import pg from 'pg'

export type DemoData = {
  /** Lines printed by `npm run dev` (URLs, demo logins). */
  lines: string[]
  /** Extra local-only variables for the Worker (e.g. demo signing secrets). */
  vars: Record<string, string>
}

/**
 * Seeds the demo data idempotently, as the owner role (it bypasses row-level security to write
 * rows for several tenants). Safe to run on every `npm run dev`.
 */
export async function seedDemoData(ownerUrl: string): Promise<DemoData> {
  const client = new pg.Client({ connectionString: ownerUrl })
  await client.connect()
  try {
    await client.query('begin')
    await client.query('commit')
  } finally {
    await client.end()
  }
  return { lines: [], vars: {} }
}

// `npm run db:seed` against MIGRATION_DATABASE_URL (owner) or DATABASE_URL.
if (import.meta.main) {
  const url = process.env.MIGRATION_DATABASE_URL ?? process.env.DATABASE_URL
  if (!url) {
    console.error('Set MIGRATION_DATABASE_URL (owner role) or DATABASE_URL to the database to seed.')
    process.exit(2)
  }
  const demo = await seedDemoData(url)
  for (const line of demo.lines) console.log(line)
}
