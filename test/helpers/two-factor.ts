import { base32Decode, totp } from '../../worker/auth/totp.ts'
import type { TestDatabase } from './env.ts'
import { as, login, PASSWORD } from './fixtures.ts'
import { callWorker } from './worker.ts'

/** Starts an enrolment as the person (signed in with the fixtures' password); answers the secret. */
export async function startEnrolment(db: TestDatabase, email: string, token?: string) {
  const call = as(db, token ?? (await login(db, email)).access_token)
  const response = await call('/api/v1/auth/two-factor/enrolment', {
    method: 'POST',
    json: { password: PASSWORD },
  })
  if (response.status !== 200)
    throw new Error(`enrolment failed: ${response.status} ${await response.text()}`)
  const body = (await response.json()) as { secret: string; otpauth_uri: string }
  return { call, secret: base32Decode(body.secret) as Uint8Array, otpauthUri: body.otpauth_uri }
}

/** Turns two-factor on for the person; answers the secret and the ten recovery codes. */
export async function enrolTotp(db: TestDatabase, email: string, token?: string) {
  const { call, secret } = await startEnrolment(db, email, token)
  const response = await call('/api/v1/auth/two-factor/confirm', {
    method: 'POST',
    json: { code: await totp(secret, new Date()) },
  })
  if (response.status !== 200) throw new Error(`confirm failed: ${response.status} ${await response.text()}`)
  const { recovery_codes } = (await response.json()) as { recovery_codes: string[] }
  return { call, secret, recoveryCodes: recovery_codes }
}

/** The password step of a sign-in for a person with two-factor on: answers the challenge token. */
export async function challengeFor(db: TestDatabase, email: string, ip = '203.0.113.7'): Promise<string> {
  const response = await callWorker(db.env, '/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
    body: JSON.stringify({ email, password: PASSWORD }),
  })
  const body = (await response.json()) as { challenge_token?: string }
  if (response.status !== 200 || !body.challenge_token)
    throw new Error(`expected a challenge: ${response.status} ${JSON.stringify(body)}`)
  return body.challenge_token
}
