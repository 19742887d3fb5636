import { Hono } from 'hono'
import { html, raw } from 'hono/html'

/**
 * Resend's `POST /emails`, mounted at `/resend`, in its documented shapes: `{id}` on success,
 * `{statusCode, name, message}` on error. A key must be a bearer shaped like Resend's (`re_…`);
 * `Idempotency-Key` replays the first answer for the same key and body (and sends nothing) and
 * answers 409 `invalid_idempotent_request` for the same key with another body.
 *
 * - `POST /resend/__control/fail {to, status, name?, times?}` makes the next sends to `to` fail
 *   (429 `rate_limit_exceeded` with `Retry-After`, 500 `application_error`, 422 `validation_error`).
 * - `GET /resend/__control/emails?to=…` lists what was sent (tests count sends), never the key.
 * - `GET /resend/__mailbox` is the dev mailbox: every captured e-mail, newest first, readable in a
 *   browser (`npm run dev` prints its address); `GET /resend/__mailbox/:id/:n` downloads its n-th
 *   attachment.
 *
 * Attachments are Resend's `attachments: [{ filename, content (base64), content_type? }]`; the
 * fake refuses content that is not base64 (422, as Resend does) and keeps them with the e-mail.
 */
export const fakeResend = new Hono()

type Email = {
  id: string
  from: string
  to: string[]
  subject: string
  text?: string
  html?: string
  replyTo?: string
  /** Resend's `headers` object as sent (the reports' List-Unsubscribe pair). */
  headers: Record<string, string>
  attachments: Attachment[]
  idempotencyKey: string | null
  at: number
}

type Attachment = { filename: string; content_type: string | null; size: number; content: string }

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** The decoded size of padded base64. */
const decodedSize = (content: string) => (content.length / 4) * 3 - (content.match(/=*$/)?.[0].length ?? 0)

const emails: Email[] = []
const replays = new Map<string, { body: string; id: string }>()
const failures = new Map<string, { status: number; name: string; times: number }>()

const KEY = /^re_[A-Za-z0-9_]{8,}$/

const error = (statusCode: number, name: string, message: string) => ({ statusCode, name, message })

fakeResend.post('/emails', async (c) => {
  const key = c.req.header('authorization')?.replace(/^Bearer /, '')
  if (!key) return c.json(error(401, 'missing_api_key', 'Missing API key in the authorization header.'), 401)
  if (!KEY.test(key)) return c.json(error(403, 'invalid_api_key', 'API key is invalid.'), 403)
  const text = await c.req.text()
  let body: {
    from?: string
    to?: string | string[]
    subject?: string
    text?: string
    html?: string
    reply_to?: string
    headers?: Record<string, string>
    attachments?: { filename?: string; content?: string; content_type?: string }[]
  }
  try {
    body = JSON.parse(text)
  } catch {
    return c.json(error(400, 'validation_error', 'The body is not valid JSON.'), 400)
  }
  const to = typeof body.to === 'string' ? [body.to] : (body.to ?? [])
  if (!body.from || to.length === 0 || !body.subject)
    return c.json(
      error(422, 'missing_required_field', 'The `from`, `to` and `subject` fields are required.'),
      422,
    )
  if (!to.every((address) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)))
    return c.json(error(422, 'validation_error', 'Invalid `to` field.'), 422)
  const attachments = body.attachments ?? []
  if (!attachments.every((file) => file.filename && file.content && BASE64.test(file.content)))
    return c.json(
      error(422, 'validation_error', 'Each attachment needs a `filename` and base64 `content`.'),
      422,
    )
  const idempotencyKey = c.req.header('idempotency-key') ?? null
  if (idempotencyKey) {
    const replay = replays.get(idempotencyKey)
    if (replay && replay.body !== text)
      return c.json(
        error(
          409,
          'invalid_idempotent_request',
          'Same idempotency key used with a different request payload.',
        ),
        409,
      )
    if (replay) return c.json({ id: replay.id })
  }
  const failure = failures.get(to[0] as string)
  if (failure) {
    if (--failure.times <= 0) failures.delete(to[0] as string)
    if (failure.status === 429) c.header('retry-after', '3')
    return c.json(
      error(failure.status, failure.name, `Fake failure: ${failure.name}.`),
      failure.status as 429,
    )
  }
  const email: Email = {
    id: crypto.randomUUID(),
    from: body.from,
    to,
    subject: body.subject,
    text: body.text,
    html: body.html,
    replyTo: body.reply_to,
    headers: body.headers ?? {},
    attachments: attachments.map((file) => ({
      filename: file.filename as string,
      content_type: file.content_type ?? null,
      size: decodedSize(file.content as string),
      content: file.content as string,
    })),
    idempotencyKey,
    at: Date.now(),
  }
  emails.push(email)
  if (idempotencyKey) replays.set(idempotencyKey, { body: text, id: email.id })
  return c.json({ id: email.id })
})

fakeResend.post('/__control/fail', async (c) => {
  const { to, status, name, times } = (await c.req.json()) as {
    to: string
    status: number
    name?: string
    times?: number
  }
  const names: Record<number, string> = { 429: 'rate_limit_exceeded', 500: 'application_error' }
  failures.set(to, { status, name: name ?? names[status] ?? 'validation_error', times: times ?? 1 })
  return c.json({ ok: true })
})

fakeResend.get('/__control/emails', (c) => {
  const to = c.req.query('to')
  return c.json({ emails: emails.filter((email) => !to || email.to.includes(to)) })
})

fakeResend.get('/__mailbox/:id/:index', (c) => {
  const file = emails.find((email) => email.id === c.req.param('id'))?.attachments[
    Number(c.req.param('index'))
  ]
  if (!file) return c.text('No such attachment.', 404)
  const bytes = Uint8Array.from(atob(file.content), (char) => char.charCodeAt(0))
  return c.body(bytes, 200, {
    'content-type': file.content_type ?? 'application/octet-stream',
    'content-disposition': `attachment; filename="${file.filename.replace(/"/g, '')}"`,
  })
})

/** The dev mailbox: what `npm run dev` sent, newest first, as one page. */
fakeResend.get('/__mailbox', (c) => {
  const items = [...emails].reverse()
  return c.html(html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>Integra dev mailbox (${items.length})</title>
        <style>
          body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
          article { border: 1px solid #ccc; border-radius: 6px; margin: 1rem 0; padding: 0.5rem 1rem; }
          dl { display: grid; grid-template-columns: max-content 1fr; gap: 0 1rem; margin: 0; }
          dt { color: #666; } pre { white-space: pre-wrap; background: #f6f6f6; padding: 0.5rem; }
        </style>
      </head>
      <body>
        <h1>Dev mailbox</h1>
        <p>
          E-mails the local Worker sent through the fake Resend API (kept in memory until
          <code>npm run dev</code> stops). Nothing leaves this machine.
        </p>
        ${items.length === 0 ? html`<p>No e-mail yet.</p>` : ''}
        ${items.map(
          (email) => html`<article>
            <h2>${email.subject}</h2>
            <dl>
              <dt>From</dt><dd>${email.from}</dd>
              <dt>To</dt><dd>${email.to.join(', ')}</dd>
              ${email.replyTo ? html`<dt>Reply-To</dt><dd>${email.replyTo}</dd>` : ''}
              <dt>Sent</dt><dd>${new Date(email.at).toISOString()}</dd>
              <dt>Id</dt><dd><code>${email.id}</code></dd>
            </dl>
            <pre>${email.text ?? ''}</pre>
            ${email.attachments.map(
              (file, index) =>
                html`<p>📎 <a href="/resend/__mailbox/${email.id}/${index}">${file.filename}</a> (${file.size} bytes)</p>`,
            )}
            ${email.html ? html`<details><summary>HTML source</summary><pre>${email.html}</pre></details>` : raw('')}
          </article>`,
        )}
      </body>
    </html>`)
})
