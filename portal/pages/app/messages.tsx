import type { MessageChannel } from '../../../db/schema/index.ts'
import { Status, When } from '../../components/status.tsx'
import { useI18n } from '../../i18n/index.ts'

export type MessageView = {
  channel: MessageChannel
  purpose: string
  recipient: string
  status: string
  createdAt: Date | string
  updatedAt: Date | string
}

/** What a message is for, in words; a purpose the catalogs do not know yet reads "Other". */
function Purpose(props: { value: string }) {
  const { t } = useI18n()
  return (
    <>
      {props.value === 'calendar.conflict_alert'
        ? t('messages.purpose.calendarConflict')
        : t('messages.purpose.other')}
    </>
  )
}

/**
 * The newest messages the tenant's modules sent, kept current without a reload: the list refreshes
 * itself (htmx, `hx-select` of this section) when the page hears `live:messages` from its live
 * channel, and every 10 seconds (`live:poll`) while that channel is down (portal/public/js/live.js).
 */
export function MessagesList(props: { messages: MessageView[] }) {
  const { t } = useI18n()
  return (
    <section
      id="messages-list"
      aria-labelledby="messages-list-title"
      data-live="messages"
      hx-get="/app/messages"
      hx-select="#messages-list"
      hx-target="this"
      hx-swap="outerHTML"
      hx-trigger="live:messages throttle:300ms from:body, live:poll from:body"
    >
      <h2 id="messages-list-title" class="sr-only">
        {t('messages.title')}
      </h2>
      {props.messages.length === 0 ? (
        <p class="muted">{t('messages.none')}</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('messages.created')}</th>
                <th scope="col">{t('messages.channel')}</th>
                <th scope="col">{t('messages.to')}</th>
                <th scope="col">{t('messages.purpose')}</th>
                <th scope="col">{t('messages.status')}</th>
                <th scope="col">{t('messages.updated')}</th>
              </tr>
            </thead>
            <tbody>
              {props.messages.map((message) => (
                <tr>
                  <td>
                    <When at={message.createdAt} />
                  </td>
                  <td>{t(`messages.channel.${message.channel}`)}</td>
                  <td>{message.recipient}</td>
                  <td>
                    <Purpose value={message.purpose} />
                  </td>
                  <td data-testid="message-status">
                    <Status value={message.status} />
                  </td>
                  <td>
                    <When at={message.updatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

/** The messages page: the live list and whether it is live or polling. */
export function MessagesPage(props: { messages: MessageView[] }) {
  const { t } = useI18n()
  return (
    <>
      <h1>{t('messages.title')}</h1>
      <p class="muted">{t('messages.intro')}</p>
      {/* Shown by live.js: which of the two ways the list is kept current right now. */}
      <p class="muted live-state" role="status">
        <span data-live-state="live" hidden>
          {t('live.on')}
        </span>
        <span data-live-state="polling" hidden>
          {t('live.polling')}
        </span>
      </p>
      <MessagesList messages={props.messages} />
    </>
  )
}
