import { Hono } from 'hono'
import { state, tokenValid, valueFor } from './state.ts'
import { registerFakeWhatsappInbox } from './whatsapp-inbox.ts'
import { registerFakeWhatsappMessages } from './whatsapp-messages.ts'

const day = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10)
const graphError = (code: number, message: string, type = 'OAuthException') => ({
  error: { message, type, code, fbtrace_id: 'WaTrAcE789' },
})
const nonexistingField = (field: string) =>
  graphError(
    100,
    `(#100) Tried accessing nonexisting field (${field}) on node type (WhatsAppBusinessAccount)`,
  )

/**
 * A WABA's traffic on one UTC day, or null on a quiet day (the real API leaves such days out of
 * `data_points` rather than answering 0).
 */
export function fakeWhatsappDay(
  waba: string,
  date: string,
): { sent: number; delivered: number; conversation: number } | null {
  if (valueFor(waba, 'quiet', date, 0, 9) === 0) return null
  const sent = valueFor(waba, 'sent', date, 40, 3_000)
  return {
    sent,
    delivered: sent - valueFor(waba, 'undelivered', date, 0, 40),
    conversation: valueFor(waba, 'conversation', date, 5, 800),
  }
}

/** `a.start(1).end(2),b.dimensions(["X","Y"])` → [{ name: 'a', filters: { start: '1', … } }, …]. */
function parseFields(fields: string): { name: string; filters: Record<string, string> }[] {
  const parts: string[] = []
  let depth = 0
  let current = ''
  for (const char of fields) {
    if (char === ',' && depth === 0) {
      parts.push(current)
      current = ''
      continue
    }
    if (char === '(') depth++
    if (char === ')') depth--
    current += char
  }
  parts.push(current)
  return parts.filter(Boolean).map((part) => {
    const name = part.split('.')[0] ?? ''
    const filters: Record<string, string> = {}
    for (const match of part.matchAll(/\.(\w+)\(([^)]*)\)/g)) filters[match[1] as string] = match[2] as string
    return { name, filters }
  })
}

/** Daily buckets of [start, end), as the real API reports them with `start`/`end` in Unix seconds. */
function buckets(filters: Record<string, string>): { start: number; end: number; date: string }[] {
  const start = Number(filters.start)
  const end = Number(filters.end)
  const list = []
  for (let t = start; t < end; t += 86_400) list.push({ start: t, end: t + 86_400, date: day(t) })
  return list
}

/** WhatsApp Business Cloud API analytics on the WABA node (graph.facebook.com) in its documented shapes. */
export const fakeWhatsapp = new Hono()

fakeWhatsapp.use('*', async (c, next) => {
  if (c.req.path.startsWith('/whatsapp/__control/')) return next()
  state.requests.push({ platform: 'whatsapp', path: c.req.path, at: Date.now() })
  // /whatsapp/<version>/<waba>
  const waba = c.req.path.split('/')[3] ?? ''
  const scenario = state.scenarios.get(waba)
  if (scenario === 'slow') await new Promise((resolve) => setTimeout(resolve, 15_000))
  if (scenario === 'server_error') return c.json(graphError(2, 'Service temporarily unavailable'), 500)
  if (scenario === 'throttle') {
    c.header(
      'X-Business-Use-Case-Usage',
      JSON.stringify({
        [waba]: [
          {
            type: 'whatsapp_business_management',
            call_count: 100,
            total_time: 18,
            total_cputime: 9,
            estimated_time_to_regain_access: 4,
          },
        ],
      }),
    )
    return c.json(graphError(80008, 'There have been too many calls to this WhatsApp Business account.'), 400)
  }
  // Graph takes the token in the query (analytics) or as a bearer (the messages endpoint).
  const bearer = c.req.header('authorization')?.replace(/^Bearer /, '')
  if (!tokenValid(c.req.query('access_token') ?? bearer)) {
    return c.json(graphError(190, 'Error validating access token: The session has been invalidated.'), 400)
  }
  c.header('X-App-Usage', JSON.stringify({ call_count: 2, total_time: 1, total_cputime: 1 }))
  await next()
})

// Sending (before the node route, whose `/:version/:waba` would also match the control paths).
registerFakeWhatsappMessages(fakeWhatsapp)
// The inbox: templates, and fake customers writing through a signed webhook.
registerFakeWhatsappInbox(fakeWhatsapp)

fakeWhatsapp.get('/:version/:waba', (c) => {
  const waba = c.req.param('waba')
  const node: Record<string, unknown> = { id: waba }
  for (const { name, filters } of parseFields(c.req.query('fields') ?? 'id')) {
    if (name === 'id') continue
    if (name === 'name') node.name = `WhatsApp ${waba.slice(-4)}`
    else if (name === 'analytics') {
      if (!filters.start || !filters.end || filters.granularity !== 'DAY')
        return c.json(graphError(100, '(#100) analytics needs start, end and granularity'), 400)
      node.analytics = {
        phone_numbers: [`5511${waba.slice(-8).padStart(8, '0')}`],
        granularity: 'DAY',
        data_points: buckets(filters).flatMap(({ start, end, date }) => {
          const traffic = fakeWhatsappDay(waba, date)
          return traffic ? [{ start, end, sent: traffic.sent, delivered: traffic.delivered }] : []
        }),
      }
    } else if (name === 'conversation_analytics') {
      // The 'retired_metric' scenario: this field is gone for the account, failing the whole call.
      if (state.scenarios.get(waba) === 'retired_metric') return c.json(nonexistingField(name), 400)
      if (!filters.start || !filters.end || filters.granularity !== 'DAILY')
        return c.json(graphError(100, '(#100) conversation_analytics needs start, end and granularity'), 400)
      node.conversation_analytics = {
        data: [
          {
            data_points: buckets(filters).flatMap(({ start, end, date }) => {
              const traffic = fakeWhatsappDay(waba, date)
              return traffic ? [{ start, end, conversation: traffic.conversation }] : []
            }),
          },
        ],
      }
    } else return c.json(nonexistingField(name), 400)
  }
  return c.json(node)
})
