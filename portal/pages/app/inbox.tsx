import type { InboxFilter, InboxRow } from '../../../worker/services/attendance/inbox-view.ts'
import { Alert, Badge } from '../../components/forms.tsx'
import { type MessageKey, useI18n } from '../../i18n/index.ts'
import { Conversation } from './inbox-conversation.tsx'
import { contactLabel, formatPhone, fullWhen, shortWhen } from './inbox-format.ts'
import type { OpenConversation } from './inbox-types.ts'

/** What the list shows and where its links keep the viewer (tab and search survive a click). */
export type InboxState = { filter: InboxFilter; search: string; nextCursor: string | null }

const FILTERS: { value: InboxFilter; label: MessageKey }[] = [
  { value: 'all', label: 'inbox.filter.all' },
  { value: 'mine', label: 'inbox.filter.mine' },
  { value: 'unassigned', label: 'inbox.filter.unassigned' },
  { value: 'open', label: 'inbox.filter.open' },
  { value: 'waiting', label: 'inbox.filter.waiting' },
  { value: 'resolved', label: 'inbox.filter.resolved' },
]

/** The list's query string: tab and search, as every link of the page carries them. */
export const listQuery = (
  state: Pick<InboxState, 'filter' | 'search'>,
  extra: Record<string, string> = {},
) => {
  const params = new URLSearchParams()
  if (state.filter !== 'all') params.set('filter', state.filter)
  if (state.search) params.set('q', state.search)
  for (const [name, value] of Object.entries(extra)) params.set(name, value)
  const text = params.toString()
  return text ? `?${text}` : ''
}

/** The last message's first words, as the list shows them (a note or an attachment in words). */
function Excerpt(props: { row: InboxRow }) {
  const { t } = useI18n()
  const last = props.row.last
  if (!last) return <span class="muted">{t('inbox.noMessages')}</span>
  const prefix =
    last.direction === 'out' ? t('inbox.you') : last.direction === 'note' ? t('inbox.noteBy') : ''
  const text = last.body ?? t(`inbox.type.${last.type}` as MessageKey)
  return (
    <span class="inbox-excerpt">
      {prefix && <span class="muted">{prefix} </span>}
      {text}
    </span>
  )
}

/**
 * The conversation list: one link per conversation with the contact, the last words, when, whose
 * turn it is and who handles it. It refreshes itself when the page hears `live:inbox` from the
 * tenant's live channel, and every 10 s (`live:poll`) while that channel is down
 * (portal/public/js/live.js).
 */
export function InboxList(props: {
  rows: InboxRow[]
  state: InboxState
  openId?: string
  now: Date
  timeZone: string
}) {
  const i18n = useI18n()
  const { t } = i18n
  const self = `/app/inbox${props.openId ? `/${props.openId}` : ''}${listQuery(props.state)}`
  return (
    <section
      id="inbox-list"
      class="inbox-list"
      aria-labelledby="inbox-list-title"
      data-live="inbox"
      hx-get={self}
      hx-select="#inbox-list"
      hx-target="this"
      hx-swap="outerHTML"
      hx-trigger="live:inbox throttle:300ms from:body, live:poll from:body"
    >
      <h2 id="inbox-list-title" class="sr-only">
        {t('inbox.list')}
      </h2>
      <nav class="inbox-tabs" aria-label={t('inbox.filters')}>
        {FILTERS.map((f) => (
          <a
            href={`/app/inbox${listQuery({ filter: f.value, search: props.state.search })}`}
            aria-current={f.value === props.state.filter ? 'page' : undefined}
          >
            {t(f.label)}
          </a>
        ))}
      </nav>
      <form method="get" action="/app/inbox" class="inbox-search">
        {props.state.filter !== 'all' && <input type="hidden" name="filter" value={props.state.filter} />}
        <label for="inbox-q" class="sr-only">
          {t('inbox.search')}
        </label>
        <input
          id="inbox-q"
          name="q"
          type="search"
          value={props.state.search}
          placeholder={t('inbox.searchPlaceholder')}
          maxlength={100}
        />
        <button type="submit" class="secondary">
          {t('inbox.searchButton')}
        </button>
      </form>
      {props.rows.length === 0 ? (
        <p class="muted inbox-empty">{t(props.state.search ? 'inbox.noMatches' : 'inbox.empty')}</p>
      ) : (
        <ul class="inbox-rows">
          {props.rows.map((row) => {
            const name = contactLabel(i18n, row.contact)
            const phone = formatPhone(row.contact.waId)
            const waiting = row.waitingSince !== null && row.status !== 'resolved'
            return (
              <li>
                <a
                  href={`/app/inbox/${row.id}${listQuery(props.state)}`}
                  class={`inbox-row${row.id === props.openId ? ' current' : ''}${waiting ? ' waiting' : ''}`}
                  aria-current={row.id === props.openId ? 'true' : undefined}
                  data-testid="inbox-row"
                >
                  <span class="inbox-row-top">
                    <strong class="inbox-name">{name}</strong>
                    <time
                      datetime={new Date(row.lastMessageAt).toISOString()}
                      title={fullWhen(i18n, row.lastMessageAt, props.timeZone)}
                    >
                      {shortWhen(i18n, row.lastMessageAt, props.now, props.timeZone)}
                    </time>
                  </span>
                  {phone && phone !== name && <span class="muted small">{phone}</span>}
                  <Excerpt row={row} />
                  <span class="inbox-row-meta small">
                    {waiting && <Badge status="waiting" label={t('inbox.waiting')} />}
                    {row.status !== 'open' && (
                      <Badge status={row.status} label={t(`inbox.status.${row.status}`)} />
                    )}
                    <span class="muted">
                      {row.assignee
                        ? t('inbox.assignedTo', { name: row.assignee.name })
                        : t('inbox.unassigned')}
                    </span>
                  </span>
                </a>
              </li>
            )
          })}
        </ul>
      )}
      {props.state.nextCursor && (
        <p class="pager">
          <a href={`/app/inbox${listQuery(props.state, { cursor: props.state.nextCursor })}`}>
            {t('list.next')}
          </a>
        </p>
      )}
    </section>
  )
}

/**
 * `/app/inbox` and `/app/inbox/<id>`: the list and, beside it on a desktop, the open conversation.
 * At phone width the list is the page, and an open conversation replaces it (with a link back).
 */
export function InboxPage(props: {
  rows: InboxRow[]
  state: InboxState
  now: Date
  timeZone: string
  open?: OpenConversation
  canReply: boolean
  /** Owners and admins: the link to the hours, away message and teams. */
  canManage?: boolean
  viewerId?: string
  error?: MessageKey
}) {
  const { t } = useI18n()
  return (
    <div class={`inbox${props.open ? ' has-open' : ''}`}>
      <header class="inbox-head">
        <h1>{t('inbox.title')}</h1>
        <span class="inbox-links">
          <a href="/app/inbox/reports" class="small">
            {t('inbox.reports.link')}
          </a>
          {props.canManage && (
            <a href="/app/inbox/settings" class="small">
              {t('inbox.settings.link')}
            </a>
          )}
        </span>
      </header>
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
      <div class="inbox-panes">
        <InboxList
          rows={props.rows}
          state={props.state}
          openId={props.open?.conversation.id}
          now={props.now}
          timeZone={props.timeZone}
        />
        {props.open ? (
          <Conversation
            {...props.open}
            back={`/app/inbox${listQuery(props.state)}`}
            now={props.now}
            timeZone={props.timeZone}
            canReply={props.canReply}
            viewerId={props.viewerId}
          />
        ) : (
          <section class="inbox-placeholder card" aria-label={t('inbox.pickOne')}>
            <p class="muted">{t('inbox.pickOne')}</p>
          </section>
        )}
      </div>
      {/* Enter sends, the window's countdown (static, as the CSP wants; the page works without it). */}
      <script src="/js/inbox.js" defer />
    </div>
  )
}
