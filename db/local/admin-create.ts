import { parseArgs } from 'node:util'
import pg from 'pg'
import { z } from 'zod'
import { uniqueViolation } from '../../db/errors.ts'
import { newId } from '../../db/ids.ts'
import { hashPassword } from '../../worker/auth/password.ts'

/**
 * `npm run admin:create -- --email ops@example.com --name "Ana Lima"`: creates an operator (the
 * first one, usually) against MIGRATION_DATABASE_URL or DATABASE_URL, an owner connection string.
 * The password comes from INTEGRA_ADMIN_PASSWORD or a prompt with hidden input, never from an
 * argument, which would land in shell history and in the process list.
 */

const USAGE = 'usage: npm run admin:create -- --email <e-mail> --name "<full name>"'
const PASSWORD_ENV = 'INTEGRA_ADMIN_PASSWORD'
/** The same rule as the API's new passwords (worker/http.ts newPasswordField). */
const MIN_PASSWORD = 12
const MAX_PASSWORD = 256

function fail(message: string, code = 1): never {
  console.error(message)
  process.exit(code)
}

function readArguments(): { email: string; name: string } {
  let values: { email?: string; name?: string }
  try {
    ;({ values } = parseArgs({
      options: { email: { type: 'string' }, name: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }))
  } catch (error) {
    const hint = process.argv.some((arg) => arg.startsWith('--password'))
      ? `\nPasswords are never arguments: set ${PASSWORD_ENV} or answer the prompt.`
      : ''
    fail(`${(error as Error).message}\n${USAGE}${hint}`, 2)
  }
  const email = z.email().max(254).safeParse(values.email?.trim().toLowerCase())
  if (!email.success) fail(`--email must be an e-mail address\n${USAGE}`, 2)
  const name = values.name?.trim() ?? ''
  if (name.length < 1 || name.length > 200) fail(`--name is required (1 to 200 characters)\n${USAGE}`, 2)
  return { email: email.data, name }
}

/** Reads one line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const { stdin, stderr } = process
  // Raw mode before the question: anything typed once it shows must not be echoed.
  stdin.setRawMode(true)
  stdin.setEncoding('utf8')
  stdin.resume()
  stderr.write(question)
  return new Promise((resolve, reject) => {
    let value = ''
    const finish = (result: () => void) => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
      stderr.write('\n')
      result()
    }
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish(() => resolve(value))
        if (char === '\u0003') return finish(() => reject(new Error('cancelled')))
        if (char === '\u007f' || char === '\b') value = Array.from(value).slice(0, -1).join('')
        else if (char >= ' ') value += char
      }
    }
    stdin.on('data', onData)
  })
}

async function readPassword(): Promise<string> {
  const fromEnv = process.env[PASSWORD_ENV]
  let password: string
  if (fromEnv !== undefined) password = fromEnv
  else if (process.stdin.isTTY) {
    password = await promptHidden('Password (input hidden): ')
    if ((await promptHidden('Repeat it: ')) !== password) fail('The passwords do not match.')
  } else {
    fail(`No terminal to prompt on: set ${PASSWORD_ENV} to the password.`, 2)
  }
  if (password.length < MIN_PASSWORD) fail(`The password must have at least ${MIN_PASSWORD} characters.`)
  if (password.length > MAX_PASSWORD) fail(`The password must have at most ${MAX_PASSWORD} characters.`)
  return password
}

async function main(): Promise<void> {
  const { email, name } = readArguments()
  const url = process.env.MIGRATION_DATABASE_URL ?? process.env.DATABASE_URL
  if (!url) fail('Set MIGRATION_DATABASE_URL (owner role) or DATABASE_URL to the database.', 2)

  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const taken = async () =>
      ((await client.query('select 1 from operators where lower(email) = lower($1)', [email])).rowCount ??
        0) > 0
    // Checked before asking for a password, so nobody types one for nothing.
    if (await taken()) fail(`An operator with the e-mail ${email} already exists; nothing was changed.`)
    const passwordHash = await hashPassword(await readPassword())

    const id = newId('opr')
    await client.query('begin')
    try {
      await client.query('insert into operators (id, email, name, password_hash) values ($1, $2, $3, $4)', [
        id,
        email,
        name,
        passwordHash,
      ])
      // The audit row in the same transaction, as for every operator change made through the API.
      await client.query(
        `insert into audit_log (id, tenant_id, actor_type, actor_id, action, target_type, target_id, data)
         values ($1, null, 'system', null, 'operator.created', 'operator', $2, $3)`,
        [newId('aud'), id, { via: 'admin:create', email }],
      )
      await client.query('commit')
    } catch (error) {
      await client.query('rollback')
      // Someone created the same e-mail between the check and the insert.
      if (uniqueViolation(error) !== null) {
        fail(`An operator with the e-mail ${email} already exists; nothing was changed.`)
      }
      throw error
    }
    console.log(`operator created: ${id} ${email}`)
  } finally {
    await client.end()
  }
}

await main()
