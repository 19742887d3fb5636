import { expect } from 'vitest'
import type { JobMessage } from '../../worker/jobs/messages.ts'
import { runJobs } from './connections.ts'
import type { TestBindings } from './env.ts'
import { emailsTo, type FakeEmail } from './messaging.ts'

/**
 * Runs what the requests queued (a reset job, then the e-mails it wrote to the outbox) through the
 * real consumer until nothing is left, as the queue would deliver them.
 */
export async function runQueued(env: TestBindings, queued: unknown[]): Promise<JobMessage[]> {
  const ran: JobMessage[] = []
  for (let round = 0; round < 5 && queued.length > 0; round++) {
    const batch = queued.splice(0) as JobMessage[]
    ran.push(...batch)
    const result = await runJobs(env, batch)
    expect(result.retryMessages).toEqual([])
  }
  return ran
}

/** The token of the link in an account e-mail (`…?token=pwr_…` or `inv_…`). */
export function tokenIn(email: FakeEmail | undefined): string {
  const match = /\?token=([A-Za-z0-9_%-]+)/.exec(email?.text ?? '')
  if (!match?.[1]) throw new Error(`no link in ${JSON.stringify(email)}`)
  return decodeURIComponent(match[1])
}

/** The e-mails the fake Resend accepted for `address`, newest last. */
export const mailbox = (address: string) => emailsTo(address)
