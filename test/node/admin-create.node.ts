import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { base64url } from 'jose'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnReady, stopChild } from '../../db/local/spawn.ts'
import type { StackInfo } from '../../db/local/stack-info.ts'
import { derivePasswordHash } from '../../worker/auth/password.ts'

/**
 * `npm run admin:create` (db/local/admin-create.ts) against a database of this file's own: it
 * creates the operator with a hash of the password from INTEGRA_ADMIN_PASSWORD and an audit row,
 * refuses an e-mail that exists, a password given as an argument and a short password, and with
 * no terminal to prompt on and no variable, asks for the variable.
 */

const root = path.resolve(import.meta.dirname, '../..')
const run = promisify(execFile)
let stack: { child: import('node:child_process').ChildProcess; info: StackInfo }

async function query<T>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: stack.info.ownerUrl })
  await client.connect()
  try {
    return (await client.query(text, params)).rows as T[]
  } finally {
    await client.end()
  }
}

/** Runs the script as `npm run admin:create -- …` does (Node strips the types), without a terminal. */
async function adminCreate(args: string[], password?: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, MIGRATION_DATABASE_URL: stack.info.ownerUrl }
  delete env.INTEGRA_ADMIN_PASSWORD
  delete env.DATABASE_URL
  if (password !== undefined) env.INTEGRA_ADMIN_PASSWORD = password
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [path.join(root, 'db/local/admin-create.ts'), ...args],
      {
        cwd: root,
        env,
      },
    )
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

/** Whether `password` matches a stored `pbkdf2-sha256$<iterations>$<salt>$<hash>`. */
async function matches(stored: string, password: string): Promise<boolean> {
  const [, iterations, salt, hash] = stored.split('$')
  const expected = base64url.decode(hash ?? '')
  const derived = await derivePasswordHash(
    password,
    base64url.decode(salt ?? ''),
    Number(iterations),
    expected.length,
  )
  return Buffer.from(derived).equals(Buffer.from(expected))
}

beforeAll(async () => {
  stack = await spawnReady<StackInfo>(path.join(root, 'db/local/stack.ts'), [
    '--ephemeral',
    '--pg-port',
    '0',
    '--bridge-port',
    '0',
  ])
}, 120_000)

afterAll(async () => {
  if (stack) await stopChild(stack.child)
})

const PASSWORD = 'the first operator password'

describe('npm run admin:create', () => {
  it('creates the operator with a hash of the password and an audit row', async () => {
    const result = await adminCreate(['--email', 'Ana@Example.COM', '--name', 'Ana Lima'], PASSWORD)
    expect(result.code, result.stderr).toBe(0)
    const [, id] = /^operator created: (opr_[0-9a-z]{20}) ana@example\.com$/m.exec(result.stdout) ?? []
    expect(id).toBeTruthy()
    const [operator] = await query<{ email: string; name: string; status: string; password_hash: string }>(
      'select email, name, status, password_hash from operators where id = $1',
      [id],
    )
    expect(operator).toMatchObject({ email: 'ana@example.com', name: 'Ana Lima', status: 'active' })
    expect(operator?.password_hash).not.toContain(PASSWORD)
    expect(await matches(operator?.password_hash ?? '', PASSWORD)).toBe(true)
    expect(await matches(operator?.password_hash ?? '', 'another password')).toBe(false)
    const audit = await query<{ actor_type: string; action: string; data: unknown }>(
      `select actor_type, action, data from audit_log where target_id = $1`,
      [id],
    )
    expect(audit).toEqual([
      {
        actor_type: 'system',
        action: 'operator.created',
        data: { via: 'admin:create', email: 'ana@example.com' },
      },
    ])
  })

  it('changes nothing for an e-mail that already has an operator', async () => {
    const args = ['--email', 'twice@example.com', '--name', 'Twice']
    expect((await adminCreate(args, PASSWORD)).code).toBe(0)
    const again = await adminCreate(args, 'a different long password')
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('already exists; nothing was changed')
    const rows = await query('select 1 from operators where email = $1', ['twice@example.com'])
    expect(rows).toHaveLength(1)
  })

  it('refuses a password given as an argument, a short password, bad arguments and no way to ask', async () => {
    const asArgument = await adminCreate(['--email', 'x@example.com', '--name', 'X', '--password', PASSWORD])
    expect(asArgument.code).toBe(2)
    expect(asArgument.stderr).toContain('Passwords are never arguments')
    const short = await adminCreate(['--email', 'short@example.com', '--name', 'Short'], 'too short')
    expect(short.code).toBe(1)
    expect(short.stderr).toContain('at least 12 characters')
    const badEmail = await adminCreate(['--email', 'not-an-email', '--name', 'Bad'], PASSWORD)
    expect(badEmail.code).toBe(2)
    const noName = await adminCreate(['--email', 'noname@example.com'], PASSWORD)
    expect(noName.code).toBe(2)
    const noTerminal = await adminCreate(['--email', 'tty@example.com', '--name', 'No TTY'])
    expect(noTerminal.code).toBe(2)
    expect(noTerminal.stderr).toContain('set INTEGRA_ADMIN_PASSWORD')
    const created = await query<{ email: string }>(
      `select email from operators where email in ('x@example.com', 'short@example.com', 'noname@example.com', 'tty@example.com')`,
    )
    expect(created).toEqual([])
  })
})
