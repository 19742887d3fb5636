import { z } from 'zod'
import type { MessageKey } from '../../../../portal/i18n/index.ts'
import { InboxPage, type InboxState } from '../../../../portal/pages/app/inbox.tsx'
import type { ComposerState } from '../../../../portal/pages/app/inbox-types.ts'
import { can } from '../../../auth/permissions.ts'
import { notFound } from '../../../errors.ts'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { memberTimeZone } from '../../../middleware/portal-locale.ts'
import { getContact, updateContact } from '../../../services/attendance/contacts.ts'
import {
  addNote,
  assignConversation,
  findConversation,
  getConversation,
  type StatusChange,
  setConversationStatus,
} from '../../../services/attendance/conversations.ts'
import {
  answerableMessage,
  assignableMembers,
  INBOX_FILTERS,
  type InboxFilter,
  inboxConversations,
  quotedMessages,
} from '../../../services/attendance/inbox-view.ts'
import { sendReply } from '../../../services/attendance/send.ts'
import { listTemplates } from '../../../services/attendance/templates.ts'
import { formValues, one } from '../forms.ts'
import {
  actThenBack,
  attempt,
  errorFromQuery,
  type PortalContext,
  portalRun,
  seeOther,
  signedIn,
} from '../run.ts'
import { registerPortalInboxReports } from './inbox-reports.tsx'

const attendance = { module: 'attendance' } as const
const PAGE = 30
const CONVERSATION_ID = /^cnv_[0-9a-z]{20}$/
const MESSAGE_ID = /^amg_[0-9a-z]{20}$/

/** The list's tab, search and page from the URL; anything unknown falls back to the whole inbox. */
function listStateOf(c: PortalContext): InboxState & { cursor?: string } {
  const filter = c.req.query('filter')
  const search = (c.req.query('q') ?? '').trim().slice(0, 100)
  const cursor = c.req.query('cursor')
  return {
    filter: INBOX_FILTERS.includes(filter as InboxFilter) ? (filter as InboxFilter) : 'all',
    search,
    nextCursor: null,
    ...(cursor ? { cursor } : {}),
  }
}

/** A conversation id from the path: anything else is a page that does not exist. */
function conversationId(c: PortalContext): string {
  const id = c.req.param('id') ?? ''
  if (!CONVERSATION_ID.test(id)) throw notFound('conversation')
  return id
}

/** Notices after an action (`?done=`), only the catalog's. */
const DONE: Record<string, MessageKey> = {
  sent: 'inbox.done.sent',
  note: 'inbox.done.note',
  assigned: 'inbox.done.assigned',
  status: 'inbox.done.status',
  contact: 'inbox.done.contact',
}

/**
 * Renders the inbox: the list and, with `openId`, the conversation, its contact, the approved
 * templates when its window is closed and the members it can go to, all read in one transaction.
 */
async function renderInbox(
  c: PortalContext,
  openId: string | undefined,
  options: { composer?: ComposerState; status?: 200 | 400 | 403 | 409 | 422 } = {},
) {
  const state = listStateOf(c)
  const data = await portalRun(
    c,
    async (ctx) => {
      const list = await inboxConversations(ctx, {
        filter: state.filter,
        search: state.search,
        limit: PAGE,
        cursor: state.cursor,
      })
      const canReply = can(ctx.principal, 'attendance.reply')
      if (!openId) return { list, canReply, open: undefined }
      const conversation = await getConversation(ctx, openId)
      const contact = await getContact(ctx, conversation.contact.id)
      const templates = conversation.window.open
        ? []
        : (await listTemplates(ctx, conversation.number.id)).data.filter((t) => t.status === 'APPROVED')
      const members = await assignableMembers(ctx)
      const quotes = await quotedMessages(
        ctx,
        openId,
        conversation.messages.flatMap((m) => (m.replyTo ? [m.replyTo] : [])),
      )
      // `?reply=<message>`: the customer's message the composer answers (quoted on WhatsApp).
      const replyId = c.req.query('reply')
      const replyTo =
        canReply && conversation.window.open && replyId && MESSAGE_ID.test(replyId)
          ? await answerableMessage(ctx, openId, replyId)
          : null
      return { list, canReply, open: { conversation, contact, templates, members, quotes, replyTo } }
    },
    attendance,
  )
  const done = DONE[c.req.query('done') ?? '']
  const error = errorFromQuery(c)
  c.status(options.status ?? 200)
  return c.render(
    <InboxPage
      rows={data.list.data}
      state={{ ...state, nextCursor: data.list.nextCursor }}
      now={new Date()}
      timeZone={memberTimeZone(c)}
      canReply={data.canReply}
      viewerId={c.var.viewer?.id}
      error={data.open ? undefined : error}
      open={
        data.open && {
          ...data.open,
          clientMessageId: crypto.randomUUID(),
          composer: options.composer,
          notice: done,
          error: options.composer ? undefined : error,
        }
      }
    />,
    { title: c.var.i18n.t('inbox.title') },
  )
}

const replyForm = z.object({
  client_message_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  kind: z.enum(['text', 'template']),
})

/**
 * The template's parameters from the form's `p_<placeholder>` fields: positional (`p_1`, `p_2`…
 * in order) or named. Null when one is empty: every blank must be filled before anything is sent.
 */
function templateParameters(values: Record<string, string | string[]>) {
  const fields = Object.keys(values)
    .filter((name) => name.startsWith('p_'))
    .map((name) => ({ name: name.slice(2), text: one(values, name).trim() }))
  if (fields.some((field) => field.text === '' || field.text.length > 1024)) return null
  const positional = fields.every((field) => /^\d+$/.test(field.name))
  return positional
    ? fields.sort((a, b) => Number(a.name) - Number(b.name)).map((field) => field.text)
    : fields
}

/**
 * The inbox's pages and forms. Every form is a plain post answered with a redirect back to the
 * conversation (post/redirect/get); a refused reply is shown again with what was typed and why.
 */
export function registerPortalInbox(portal: PortalApp) {
  portal.get('/app/inbox', signedIn('member'), (c) => renderInbox(c, undefined))

  registerPortalInboxReports(portal)

  portal.get('/app/inbox/:id', signedIn('member'), (c) => renderInbox(c, conversationId(c)))

  portal.post('/app/inbox/:id/reply', signedIn('member'), async (c) => {
    const id = conversationId(c)
    const values = await formValues(c)
    const form = replyForm.safeParse(values)
    const text = one(values, 'text').trim()
    const replyTo = one(values, 'reply_to')
    const [name = '', language = ''] = one(values, 'template').split('|')
    const parameters = templateParameters(values)
    const refuse = (message: MessageKey, status: 400 | 403 | 409 | 422 = 400) =>
      renderInbox(c, id, {
        composer: { text, template: one(values, 'template'), message },
        status,
      })
    if (!form.success) return refuse('error.VALIDATION_FAILED')
    if (form.data.kind === 'text' && (text === '' || text.length > 4096))
      return refuse('inbox.writeSomething')
    if (form.data.kind === 'template' && (!name || !language || parameters === null))
      return refuse('inbox.fillParameters')
    const content =
      form.data.kind === 'text'
        ? { type: 'text' as const, text, ...(replyTo ? { replyTo } : {}) }
        : { type: 'template' as const, name, language, parameters: parameters ?? [] }
    const outcome = await attempt(() =>
      portalRun(
        c,
        (ctx) => sendReply(ctx, id, { clientMessageId: form.data.client_message_id, content }),
        attendance,
      ),
    )
    if (!outcome.ok) {
      // Not theirs to answer (an unknown conversation, a role or plan without it): the error page.
      if (outcome.error.status === 404 || ['FORBIDDEN', 'MODULE_DISABLED'].includes(outcome.error.code))
        throw outcome.error
      const status =
        outcome.error.status === 422 || outcome.error.status === 403 || outcome.error.status === 409
          ? outcome.error.status
          : 400
      return refuse(outcome.message, status)
    }
    return seeOther(c, `/app/inbox/${id}${keepList(c)}`)
  })

  portal.post('/app/inbox/:id/note', signedIn('member'), async (c) => {
    const id = conversationId(c)
    const note = one(await formValues(c), 'note').trim()
    if (note === '' || note.length > 4096)
      return renderInbox(c, id, { composer: { note, message: 'inbox.writeSomething' }, status: 400 })
    return actThenBack(c, `/app/inbox/${id}${keepList(c)}`, 'note', () =>
      portalRun(c, (ctx) => addNote(ctx, id, note), attendance),
    )
  })

  portal.post('/app/inbox/:id/assign', signedIn('member'), async (c) => {
    const id = conversationId(c)
    const assignee = one(await formValues(c), 'assignee')
    if (assignee !== '' && assignee !== 'me' && !/^usr_[0-9a-z]{20}$/.test(assignee))
      return seeOther(c, `/app/inbox/${id}?error=VALIDATION_FAILED`)
    return actThenBack(c, `/app/inbox/${id}${keepList(c)}`, 'assigned', () =>
      portalRun(
        c,
        (ctx) =>
          assignConversation(
            ctx,
            id,
            assignee === 'me'
              ? ctx.principal.kind === 'member'
                ? ctx.principal.id
                : null
              : assignee || null,
          ),
        attendance,
      ),
    )
  })

  portal.post('/app/inbox/:id/status', signedIn('member'), async (c) => {
    const id = conversationId(c)
    const values = await formValues(c)
    const status = one(values, 'status')
    const hours = Number(one(values, 'hours'))
    const change: StatusChange | null =
      status === 'open' || status === 'resolved' || status === 'pending'
        ? { status }
        : status === 'snoozed' && [1, 4, 24, 168].includes(hours)
          ? { status, snoozedUntil: new Date(Date.now() + hours * 3_600_000) }
          : null
    if (!change) return seeOther(c, `/app/inbox/${id}?error=VALIDATION_FAILED`)
    return actThenBack(c, `/app/inbox/${id}${keepList(c)}`, 'status', () =>
      portalRun(c, (ctx) => setConversationStatus(ctx, id, change), attendance),
    )
  })

  portal.post('/app/inbox/:id/contact', signedIn('member'), async (c) => {
    const id = conversationId(c)
    const name = one(await formValues(c), 'name').trim()
    if (name.length > 200) return seeOther(c, `/app/inbox/${id}?error=VALIDATION_FAILED`)
    return actThenBack(c, `/app/inbox/${id}${keepList(c)}`, 'contact', () =>
      portalRun(
        c,
        async (ctx) => {
          const conversation = await findConversation(ctx, id)
          return updateContact(ctx, conversation.contact.id, { name: name || null })
        },
        attendance,
      ),
    )
  })
}

/** Forms post to the bare conversation path; the list's tab comes back from the referring page. */
function keepList(c: PortalContext): string {
  const referer = c.req.header('referer')
  if (!referer) return ''
  try {
    const url = new URL(referer)
    const params = new URLSearchParams()
    for (const name of ['filter', 'q']) {
      const value = url.searchParams.get(name)
      if (value) params.set(name, value)
    }
    const text = params.toString()
    return text ? `?${text}` : ''
  } catch {
    return ''
  }
}
