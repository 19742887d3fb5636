import { Hono } from 'hono'

/**
 * The Telegram Bot API's `sendMessage`, mounted at `/telegram`: `POST /telegram/bot<token>/sendMessage`
 * answers `{ok: true, result: {message_id, chat, text}}` and records the message. A token that is
 * not shaped like BotFather's, or was revoked, gets 401 Unauthorized; a chat id starting with
 * `-404` gets 400 "chat not found"; a chat scripted with `throttle` gets one 429 with
 * `retry_after`. Tests read what was sent with `GET /telegram/__control/messages?chat_id=…` and
 * use chat ids of their own (random), so parallel files never see each other's messages.
 */
export const fakeTelegram = new Hono()

type Sent = { chatId: string; text: string; token: string; at: number }
const sent: Sent[] = []
const revoked = new Set<string>()
const throttled = new Set<string>()
let nextMessageId = 1

const TOKEN = /^\d{5,15}:[A-Za-z0-9_-]{30,60}$/

fakeTelegram.post('/:bot/sendMessage', async (c) => {
  const token = c.req.param('bot').replace(/^bot/, '')
  if (!c.req.param('bot').startsWith('bot') || !TOKEN.test(token) || revoked.has(token))
    return c.json({ ok: false, error_code: 401, description: 'Unauthorized' }, 401)
  const body = (await c.req.json().catch(() => ({}))) as { chat_id?: string | number; text?: string }
  const chatId = String(body.chat_id ?? '')
  if (!chatId || !body.text)
    return c.json({ ok: false, error_code: 400, description: 'Bad Request: message text is empty' }, 400)
  if (chatId.startsWith('-404'))
    return c.json({ ok: false, error_code: 400, description: 'Bad Request: chat not found' }, 400)
  if (throttled.delete(chatId))
    return c.json(
      {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 7',
        parameters: { retry_after: 7 },
      },
      429,
    )
  sent.push({ chatId, text: body.text, token, at: Date.now() })
  return c.json({
    ok: true,
    result: {
      message_id: nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat: { id: Number(chatId) || chatId, type: 'private' },
      text: body.text,
    },
  })
})

fakeTelegram.get('/__control/messages', (c) => {
  const chatId = c.req.query('chat_id')
  return c.json({
    messages: sent
      .filter((m) => !chatId || m.chatId === chatId)
      .map(({ chatId: chat_id, text, at }) => ({ chat_id, text, at })),
  })
})

fakeTelegram.post('/__control/revoke', async (c) => {
  const { token } = (await c.req.json()) as { token: string }
  revoked.add(token)
  return c.json({ ok: true })
})

/** The chat's next message is answered 429 once. */
fakeTelegram.post('/__control/throttle', async (c) => {
  const { chat_id } = (await c.req.json()) as { chat_id: string }
  throttled.add(chat_id)
  return c.json({ ok: true })
})
