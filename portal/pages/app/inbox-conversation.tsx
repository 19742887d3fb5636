import { ActionButton, Alert, Badge, CsrfField } from '../../components/forms.tsx'
import { type I18n, type MessageKey, useI18n } from '../../i18n/index.ts'
import { clockTime, contactLabel, formatPhone, fullWhen, shortWhen, timeLeft } from './inbox-format.ts'
import type { ContactView, ConversationView, Member, OpenConversation, TemplateView } from './inbox-types.ts'

type Message = ConversationView['messages'][number]

/** The words of a failed send's reason (the outbox's error code), never the code itself. */
const FAILURES = new Set([
  'WINDOW_CLOSED',
  'TOKEN_INVALID',
  'THROTTLED',
  'TEMPLATE_INVALID',
  'RECIPIENT_INVALID',
  'PROVIDER_UNAVAILABLE',
  'REJECTED',
])
const failureKey = (code: string | null): MessageKey =>
  code && FAILURES.has(code) ? (`inbox.failure.${code}` as MessageKey) : 'inbox.failure.other'

/** An outbound message's delivery as ticks and words: sending, sent, delivered, read, failed. */
function Ticks(props: { delivery: Message['delivery'] }) {
  const { t } = useI18n()
  const delivery = props.delivery
  if (!delivery) return null
  const status = delivery.status === 'queued' || delivery.status === 'sending' ? 'sending' : delivery.status
  const marks: Record<string, string> = { sending: '…', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '!' }
  return (
    <span class={`ticks t-${status}`} data-testid="ticks">
      <span aria-hidden="true">{marks[status] ?? ''}</span> {t(`inbox.delivery.${status}` as MessageKey)}
      {status === 'failed' && <span class="ticks-reason">: {t(failureKey(delivery.errorCode))}</span>}
    </span>
  )
}

/** The template a message was sent with, as the customer read it (its name in a small label). */
function templateName(message: Message): string | null {
  const template = (message.details as { template?: { name?: unknown } } | null)?.template
  return typeof template?.name === 'string' ? template.name : null
}

function Bubble(props: {
  message: Message
  /** Where "answer this" leads (inbound messages, while the window is open, for those who reply). */
  answerHref?: string
  quoted?: { direction: string; body: string | null }
  authors: Map<string, string>
  i18n: I18n
  timeZone: string
}) {
  const { message, i18n } = props
  const { t } = i18n
  const template = templateName(message)
  const author = message.authorId ? props.authors.get(message.authorId) : undefined
  return (
    <li class={`msg msg-${message.direction}`} data-testid={`msg-${message.direction}`}>
      {message.direction === 'note' && (
        <span class="msg-label">{author ? t('inbox.noteFrom', { name: author }) : t('inbox.note')}</span>
      )}
      {template && <span class="msg-label">{t('inbox.template', { name: template })}</span>}
      {props.quoted && (
        <blockquote class="msg-quote">
          <span class="muted small">
            {props.quoted.direction === 'in' ? t('inbox.quote.customer') : t('inbox.quote.team')}
          </span>
          <span>{props.quoted.body ?? '…'}</span>
        </blockquote>
      )}
      <p class="msg-body">
        {message.body ?? <em class="muted">{t(`inbox.type.${message.type}` as MessageKey)}</em>}
      </p>
      <span class="msg-meta small">
        {message.direction === 'out' && author && <span>{author} · </span>}
        <time
          datetime={new Date(message.sentAt).toISOString()}
          title={fullWhen(i18n, message.sentAt, props.timeZone)}
        >
          {clockTime(i18n, new Date(message.sentAt), props.timeZone)}
        </time>
        {message.direction === 'out' && <Ticks delivery={message.delivery} />}
        {props.answerHref && (
          <a href={props.answerHref} class="msg-answer">
            {t('inbox.answerThis')}
          </a>
        )}
      </span>
    </li>
  )
}

/** A day heading in the thread, in the member's zone. */
const dayOf = (i18n: I18n, at: Date | string, timeZone: string) =>
  new Intl.DateTimeFormat(i18n.locale, { dateStyle: 'full', timeZone }).format(new Date(at))

/**
 * The messages, oldest first, grouped by day. It refreshes itself when the live channel says the
 * conversation changed (`live:conversation:<id>`) or an outbox message moved (`live:messages`: the
 * ticks), and every 10 s while the channel is down, so a new message appears without a reload.
 */
export function Thread(props: {
  conversation: ConversationView
  canAnswer: boolean
  quotes: Record<string, { direction: string; body: string | null }>
  authors: Map<string, string>
  self: string
  timeZone: string
}) {
  const i18n = useI18n()
  const { t } = i18n
  const id = props.conversation.id
  let day = ''
  return (
    <section
      id="thread"
      class="thread"
      aria-label={t('inbox.thread')}
      data-live={`conversation:${id} messages`}
      hx-get={props.self}
      hx-select="#thread"
      hx-target="this"
      hx-swap="outerHTML"
      hx-trigger={`live:conversation:${id} throttle:300ms from:body, live:messages throttle:300ms from:body, live:poll from:body`}
    >
      {props.conversation.olderCursor && <p class="muted small">{t('inbox.olderHidden')}</p>}
      {props.conversation.messages.length === 0 ? (
        <p class="muted">{t('inbox.noMessages')}</p>
      ) : (
        <ol class="msgs" aria-live="polite">
          {props.conversation.messages.map((message) => {
            const today = dayOf(i18n, message.sentAt, props.timeZone)
            const heading = today !== day ? today : null
            day = today
            return (
              <>
                {heading && (
                  <li class="msg-day" aria-hidden="true">
                    {heading}
                  </li>
                )}
                <Bubble
                  message={message}
                  answerHref={
                    props.canAnswer && message.direction === 'in'
                      ? `${props.self}?reply=${message.id}#reply-text`
                      : undefined
                  }
                  quoted={message.replyTo ? props.quotes[message.replyTo] : undefined}
                  authors={props.authors}
                  i18n={i18n}
                  timeZone={props.timeZone}
                />
              </>
            )
          })}
        </ol>
      )}
    </section>
  )
}

/** One approved template: its text with the blanks, and a field per placeholder, all required. */
function TemplateForm(props: {
  action: string
  clientMessageId: string
  template: TemplateView
  open: boolean
}) {
  const { t } = useI18n()
  const { template } = props
  const value = `${template.name}|${template.language}`
  return (
    <details class="tpl" open={props.open}>
      <summary>
        <strong>{template.name}</strong>{' '}
        <span class="muted small">({template.language.replace('_', '-')})</span>
      </summary>
      <p class="tpl-body">{template.body}</p>
      <form method="post" action={props.action} class="tpl-form">
        <CsrfField />
        <input type="hidden" name="client_message_id" value={props.clientMessageId} />
        <input type="hidden" name="kind" value="template" />
        <input type="hidden" name="template" value={value} />
        {template.parameters.map((name, index) => {
          const id = `p-${template.name}-${template.language}-${index}`
          return (
            <div class="field">
              <label for={id}>
                {/^\d+$/.test(name) ? t('inbox.templateParam', { n: name }) : name.replace(/_/g, ' ')}
              </label>
              <input id={id} name={`p_${name}`} required maxlength={1024} autocomplete="off" />
            </div>
          )
        })}
        <button type="submit" class="primary">
          {t('inbox.sendTemplate')}
        </button>
      </form>
    </details>
  )
}

/**
 * Where the team answers: free text while the customer-service window is open (with how long it
 * stays open), the approved templates once it is closed, and internal notes either way. Every send
 * carries this render's client message id, so a double click or a resubmitted form sends once.
 */
function Composer(props: OpenConversation & { now: Date }) {
  const i18n = useI18n()
  const { t } = i18n
  const { conversation } = props
  const base = `/app/inbox/${conversation.id}`
  const window = conversation.window
  const left = window.closesAt ? timeLeft(window.closesAt, props.now) : null
  const state = props.composer ?? {}
  const countdown = left
    ? left.hours > 0
      ? t('inbox.window.closesIn', { h: left.hours, m: left.minutes })
      : t('inbox.window.closesInMinutes', { m: left.minutes })
    : ''
  return (
    <section class="composer" aria-label={t('inbox.composer')}>
      {state.message && <Alert kind="error">{t(state.message)}</Alert>}
      {window.open ? (
        <form method="post" action={`${base}/reply`} class="composer-text">
          <CsrfField />
          <input type="hidden" name="client_message_id" value={props.clientMessageId} />
          <input type="hidden" name="kind" value="text" />
          <p
            class="window window-open small"
            data-closes-at={window.closesAt ? new Date(window.closesAt).toISOString() : undefined}
            data-text-hm={t('inbox.window.closesIn', { h: '{h}', m: '{m}' })}
            data-text-m={t('inbox.window.closesInMinutes', { m: '{m}' })}
            data-text-closed={t('inbox.window.closedReload')}
          >
            {countdown}
          </p>
          {props.replyTo && (
            <div class="composer-quote">
              <input type="hidden" name="reply_to" value={props.replyTo.wamid} />
              <blockquote class="msg-quote">
                <span class="muted small">{t('inbox.answering')}</span>
                <span>{props.replyTo.body ?? '…'}</span>
              </blockquote>
              <a href={base} class="small">
                {t('inbox.answerCancel')}
              </a>
            </div>
          )}
          <label for="reply-text" class="sr-only">
            {t('inbox.reply')}
          </label>
          <textarea
            id="reply-text"
            name="text"
            rows={3}
            maxlength={4096}
            required
            data-enter-sends="true"
            placeholder={t('inbox.replyPlaceholder')}
          >
            {state.text ?? ''}
          </textarea>
          <div class="composer-actions">
            <span class="muted small">{t('inbox.enterHint')}</span>
            <button type="submit" class="primary">
              {t('inbox.send')}
            </button>
          </div>
        </form>
      ) : (
        <div class="composer-templates">
          <p class="window window-closed">
            {conversation.lastInboundAt ? t('inbox.window.closed') : t('inbox.window.never')}
          </p>
          {props.templates.length === 0 ? (
            <p class="muted">{t('inbox.noTemplates')}</p>
          ) : (
            <>
              <p class="small muted">{t('inbox.pickTemplate')}</p>
              {props.templates.map((template) => (
                <TemplateForm
                  action={`${base}/reply`}
                  clientMessageId={props.clientMessageId}
                  template={template}
                  open={
                    state.template === `${template.name}|${template.language}` || props.templates.length === 1
                  }
                />
              ))}
            </>
          )}
        </div>
      )}
      <details class="composer-note" open={state.note !== undefined}>
        <summary>{t('inbox.addNote')}</summary>
        <form method="post" action={`${base}/note`}>
          <CsrfField />
          <label for="note-text" class="sr-only">
            {t('inbox.note')}
          </label>
          <textarea
            id="note-text"
            name="note"
            rows={2}
            maxlength={4096}
            required
            placeholder={t('inbox.notePlaceholder')}
          >
            {state.note ?? ''}
          </textarea>
          <button type="submit" class="secondary">
            {t('inbox.saveNote')}
          </button>
        </form>
      </details>
    </section>
  )
}

const SNOOZES = [1, 4, 24, 168] as const

/** Who handles the conversation and where it stands: assign, resolve, snooze, reopen. */
function Actions(props: { conversation: ConversationView; members: Member[]; viewerId?: string }) {
  const { t } = useI18n()
  const { conversation } = props
  const base = `/app/inbox/${conversation.id}`
  const closed = conversation.status === 'resolved'
  return (
    <div class="conv-actions">
      <form method="post" action={`${base}/assign`} class="inline conv-assign">
        <CsrfField />
        <label for="assignee" class="sr-only">
          {t('inbox.assignee')}
        </label>
        <select id="assignee" name="assignee">
          <option value="" selected={!conversation.assigneeId}>
            {t('inbox.nobody')}
          </option>
          {props.members.map((member) => (
            <option value={member.id} selected={member.id === conversation.assigneeId}>
              {member.name}
            </option>
          ))}
        </select>
        <button type="submit" class="secondary">
          {t('inbox.assign')}
        </button>
      </form>
      {props.viewerId && conversation.assigneeId !== props.viewerId && (
        <ActionButton
          action={`${base}/assign`}
          fields={{ assignee: 'me' }}
          label={t('inbox.assignMe')}
          target=".conversation"
        />
      )}
      {(closed || conversation.status === 'snoozed') && (
        <ActionButton
          action={`${base}/status`}
          fields={{ status: 'open' }}
          label={t('inbox.reopen')}
          target=".conversation"
        />
      )}
      {!closed && (
        <ActionButton
          action={`${base}/status`}
          fields={{ status: 'resolved' }}
          label={t('inbox.resolve')}
          target=".conversation"
        />
      )}
      {!closed && (
        <form method="post" action={`${base}/status`} class="inline conv-snooze">
          <CsrfField />
          <input type="hidden" name="status" value="snoozed" />
          <label for="snooze-hours" class="sr-only">
            {t('inbox.snoozeFor')}
          </label>
          <select id="snooze-hours" name="hours">
            {SNOOZES.map((hours) => (
              <option value={String(hours)}>{t(`inbox.snooze.${hours}` as MessageKey)}</option>
            ))}
          </select>
          <button type="submit" class="secondary">
            {t('inbox.snooze')}
          </button>
        </form>
      )}
    </div>
  )
}

/** Who the customer is: the team's name for them (editable), phone, WhatsApp name, consent, history. */
function ContactPanel(props: {
  contact: ContactView
  currentId: string
  canReply: boolean
  timeZone: string
  now: Date
}) {
  const i18n = useI18n()
  const { t } = i18n
  const { contact } = props
  const others = contact.conversations.filter((c) => c.id !== props.currentId)
  return (
    <aside class="contact card" aria-labelledby="contact-title">
      <h2 id="contact-title">{t('inbox.contact')}</h2>
      {props.canReply ? (
        <form method="post" action={`/app/inbox/${props.currentId}/contact`} class="contact-name">
          <CsrfField />
          <label for="contact-name">{t('inbox.contactName')}</label>
          <div class="row">
            <input
              id="contact-name"
              name="name"
              value={contact.name ?? ''}
              maxlength={200}
              placeholder={contact.profileName ?? ''}
            />
            <button type="submit" class="secondary">
              {t('inbox.save')}
            </button>
          </div>
        </form>
      ) : null}
      <dl class="facts">
        <dt>{t('inbox.phone')}</dt>
        <dd>{formatPhone(contact.waId) ?? t('inbox.noPhone')}</dd>
        <dt>{t('inbox.profileName')}</dt>
        <dd>{contact.profileName ?? '—'}</dd>
        <dt>{t('inbox.optIn')}</dt>
        <dd>
          {contact.optedInAt
            ? t('inbox.optInSince', {
                when: fullWhen(i18n, contact.optedInAt, props.timeZone),
                source: t(
                  (contact.optInSource === 'inbound_message' ||
                  contact.optInSource === 'form' ||
                  contact.optInSource === 'manual'
                    ? `inbox.optInSource.${contact.optInSource}`
                    : 'inbox.optInSource.other') as MessageKey,
                ),
              })
            : t('inbox.noOptIn')}
        </dd>
        {contact.customer && (
          <>
            <dt>{t('inbox.customer')}</dt>
            <dd>
              {contact.customer.name ?? formatPhone(contact.customer.phone) ?? '—'}
              {contact.customer.email && <div class="muted small">{contact.customer.email}</div>}
            </dd>
          </>
        )}
      </dl>
      <h3>{t('inbox.otherConversations')}</h3>
      {others.length === 0 ? (
        <p class="muted small">{t('inbox.noOtherConversations')}</p>
      ) : (
        <ul class="contact-others">
          {others.map((other) => (
            <li>
              <a href={`/app/inbox/${other.id}`}>{other.number.displayNumber}</a>{' '}
              <Badge status={other.status} label={t(`inbox.status.${other.status}`)} />{' '}
              <span class="muted small">
                {shortWhen(i18n, other.lastMessageAt, props.now, props.timeZone)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </aside>
  )
}

/** The open conversation: header with its actions, the thread, the composer and the contact panel. */
export function Conversation(
  props: OpenConversation & {
    back: string
    now: Date
    timeZone: string
    canReply: boolean
    viewerId?: string
  },
) {
  const i18n = useI18n()
  const { t } = i18n
  const { conversation } = props
  const authors = new Map(props.members.map((m) => [m.id, m.name]))
  const assignee = conversation.assigneeId ? authors.get(conversation.assigneeId) : undefined
  return (
    <section class="conversation" aria-labelledby="conversation-title">
      <header class="conv-head">
        <a href={props.back} class="conv-back small">
          {t('inbox.back')}
        </a>
        <h2 id="conversation-title">{contactLabel(i18n, conversation.contact)}</h2>
        <p class="small muted">
          {[
            formatPhone(conversation.contact.waId),
            t('inbox.viaNumber', { number: conversation.number.displayNumber }),
          ]
            .filter(Boolean)
            .join(' · ')}
        </p>
        <p class="small">
          <Badge status={conversation.status} label={t(`inbox.status.${conversation.status}`)} />{' '}
          {conversation.status === 'snoozed' && conversation.snoozedUntil && (
            <span class="muted">
              {t('inbox.snoozedUntil', {
                when: fullWhen(i18n, conversation.snoozedUntil, props.timeZone),
              })}{' '}
            </span>
          )}
          <span class="muted">
            {assignee ? t('inbox.assignedTo', { name: assignee }) : t('inbox.unassigned')}
          </span>
        </p>
        {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
        {props.error && <Alert kind="error">{t(props.error)}</Alert>}
        {props.canReply && (
          <Actions conversation={conversation} members={props.members} viewerId={props.viewerId} />
        )}
      </header>
      <div class="conv-body">
        <div class="conv-main">
          <Thread
            conversation={conversation}
            canAnswer={props.canReply && conversation.window.open}
            quotes={props.quotes}
            authors={authors}
            self={`/app/inbox/${conversation.id}`}
            timeZone={props.timeZone}
          />
          {props.canReply ? <Composer {...props} /> : <p class="muted small">{t('inbox.readOnly')}</p>}
        </div>
        <ContactPanel
          contact={props.contact}
          currentId={conversation.id}
          canReply={props.canReply}
          timeZone={props.timeZone}
          now={props.now}
        />
      </div>
    </section>
  )
}
