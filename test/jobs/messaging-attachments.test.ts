import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobMessage } from '../../worker/jobs/messages.ts'
import { r2Objects } from '../../worker/runtime/cloudflare.ts'
import { putFile, tenantFileKey } from '../../worker/services/files/files.ts'
import { enqueueMessage, type OutboundInput } from '../../worker/services/messaging/outbox.ts'
import { runJobs } from '../helpers/connections.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { emailsTo, messageRow, messagingSetup, newAddress } from '../helpers/messaging.ts'

let db: TestDatabase
let setup: Awaited<ReturnType<typeof messagingSetup>>

beforeAll(async () => {
  db = await createTestDatabase()
  setup = await messagingSetup(db)
})
afterAll(async () => {
  await setup?.close()
})

const files = () => r2Objects(setup.env.FILES)

/** A PDF-looking file of the tenant in the FILES bucket, with bytes of every value (base64's edge cases). */
async function storedFile(name = `${crypto.randomUUID()}.pdf`) {
  const bytes = new Uint8Array(70_001)
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) % 256
  bytes.set(new TextEncoder().encode('%PDF-1.7'))
  const key = tenantFileKey(setup.tenant.tenantId, 'test', name)
  const size = await putFile(files(), key, bytes, 'application/pdf')
  return { key, bytes, size }
}

const email = (
  to: string,
  attachments: NonNullable<Extract<OutboundInput, { channel: 'email' }>['content']['attachments']>,
) =>
  ({
    channel: 'email',
    purpose: 'test.attachment',
    idempotencyKey: `test:${crypto.randomUUID()}`,
    to,
    content: { subject: 'Relatório de novembro', text: 'Segue o relatório em anexo.', attachments },
  }) satisfies OutboundInput

/** What a refused enqueue threw. */
const refusal = (outcome: Promise<unknown>) =>
  outcome.then(
    () => null,
    (error: unknown) => error,
  )

const decode = (base64: string) => Uint8Array.from(atob(base64), (char) => char.charCodeAt(0))

describe('e-mail attachments from the FILES bucket', () => {
  it('sends the stored file as a Resend attachment once, however often the job is delivered', async () => {
    const to = newAddress()
    const file = await storedFile()
    const message = await setup.caller.run((ctx) =>
      enqueueMessage(
        ctx,
        email(to, [
          { key: file.key, filename: 'relatório.pdf', contentType: 'application/pdf', size: file.size },
        ]),
      ),
    )
    const jobs = setup.capture.messages.splice(0) as JobMessage[]
    expect(jobs).toHaveLength(1)
    await runJobs(setup.env, [...jobs, ...jobs, ...jobs])
    const sent = await emailsTo(to)
    expect(sent).toHaveLength(1)
    expect(sent[0]?.attachments).toHaveLength(1)
    expect(sent[0]?.attachments[0]).toMatchObject({
      filename: 'relatório.pdf',
      content_type: 'application/pdf',
      size: file.bytes.length,
    })
    expect(decode(sent[0]?.attachments[0]?.content ?? '')).toEqual(file.bytes)
    expect(await messageRow(db, message.id)).toMatchObject({
      status: 'sent',
      provider_message_id: sent[0]?.id,
    })
  })

  it("refuses another tenant's file as an attachment: 400 naming the field, nothing stored", async () => {
    const to = newAddress()
    const key = `tenants/ten_someoneelse0000000000/reports/x.pdf`
    const outcome = setup.caller.run((ctx) =>
      enqueueMessage(ctx, email(to, [{ key, filename: 'x.pdf', contentType: 'application/pdf', size: 10 }])),
    )
    expect(await refusal(outcome)).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      fields: [{ path: 'message.content.attachments.0.key' }],
    })
    expect(setup.capture.messages.splice(0)).toEqual([])
    expect(await db.owner('select 1 from outbound_messages where recipient = $1', [to])).toEqual([])
  })

  it('refuses attachments over 5 MiB in total, and a path that climbs out of the tenant', async () => {
    const to = newAddress()
    const big = (n: number) => ({
      key: tenantFileKey(setup.tenant.tenantId, 'test', `${n}.pdf`),
      filename: `${n}.pdf`,
      contentType: 'application/pdf',
      size: 3 * 1024 * 1024,
    })
    const tooLarge = setup.caller.run((ctx) => enqueueMessage(ctx, email(to, [big(1), big(2)])))
    expect(await refusal(tooLarge)).toMatchObject({
      status: 400,
      fields: [{ path: 'message.content.attachments', message: expect.stringContaining('link') }],
    })
    const climbing = setup.caller.run((ctx) =>
      enqueueMessage(
        ctx,
        email(to, [
          {
            key: `${tenantFileKey(setup.tenant.tenantId, '..')}/ten_other/x.pdf`,
            filename: 'x.pdf',
            contentType: 'application/pdf',
            size: 1,
          },
        ]),
      ),
    )
    expect(await refusal(climbing)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' })
    expect(setup.capture.messages.splice(0)).toEqual([])
  })

  it('fails the message REJECTED, sending nothing, when its file is gone by the time it is sent', async () => {
    const to = newAddress()
    const file = await storedFile()
    const message = await setup.caller.run((ctx) =>
      enqueueMessage(
        ctx,
        email(to, [
          { key: file.key, filename: 'contrato.pdf', contentType: 'application/pdf', size: file.size },
        ]),
      ),
    )
    await files().delete([file.key])
    await runJobs(setup.env, setup.capture.messages.splice(0) as JobMessage[])
    expect(await emailsTo(to)).toEqual([])
    expect(await messageRow(db, message.id)).toMatchObject({
      status: 'failed',
      error_code: 'REJECTED',
      error_message: expect.stringContaining('contrato.pdf'),
    })
  })
})
