/**
 * acme's WhatsApp inbox for `npm run dev`, set up through the running Worker's API as an owner
 * would, and brought alive by the fake WhatsApp: its customers write through correctly signed
 * Meta webhooks (db/local/fakes/whatsapp-inbox.ts), which the Worker queues and the inbox job
 * records. Three conversations: one inside the 24-hour window, one outside it, one resolved.
 * Skips what exists, so restarts add nothing.
 */

/** Public on purpose: a local demo's webhook secret, known to the fake that signs with it. */
const DEMO_APP_SECRET = 'integra-demo-meta-app-secret-0001'
const DEMO_VERIFY_TOKEN = 'integra-demo-verify'
const DEMO_NUMBER = {
  phone_number_id: '109000000000101',
  display_number: '+55 11 4000-0101',
  label: 'Atendimento',
}
const DEMO_CUSTOMERS = [
  {
    from: '5511987650001',
    name: 'Maria Souza',
    text: 'Oi! Vocês têm horário amanhã de manhã?',
    hoursAgo: 0.2,
  },
  { from: '5511987650002', name: 'João Lima', text: 'Bom dia, meu pedido ainda não chegou.', hoursAgo: 30 },
  {
    from: '5511987650003',
    name: 'Carla Dias',
    text: 'Obrigada, deu tudo certo!',
    hoursAgo: 50,
    resolve: true,
  },
] as const

const OWNER = { email: 'owner@acme.example', password: 'integra-owner-demo' }

export async function setUpDemoAttendance(baseUrl: string, fakesUrl: string): Promise<string[]> {
  const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': '127.0.0.1' },
    body: JSON.stringify(OWNER),
  })
  if (!login.ok) return [`attendance demo skipped: owner login answered ${login.status}`]
  const { access_token } = (await login.json()) as { access_token: string }
  const headers = { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' }
  const api = async <T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
    const response = await fetch(`${baseUrl}/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    })
    return (await response.json().catch(() => ({}))) as T
  }

  await api('/webhooks/meta/settings', {
    method: 'PUT',
    body: { app_secret: DEMO_APP_SECRET, verify_token: DEMO_VERIFY_TOKEN },
  })
  const connections = await api<{ data?: { id: string; platform: string; external_account_id: string }[] }>(
    '/connections?limit=100',
  )
  const whatsapp = connections.data?.find((c) => c.platform === 'whatsapp')
  if (!whatsapp) return ['attendance demo skipped: acme has no WhatsApp connection']
  const numbers = await api<{ data?: { id: string }[] }>('/attendance/numbers')
  let numberId = numbers.data?.[0]?.id
  if (!numberId) {
    const created = await api<{ id?: string }>('/attendance/numbers', {
      method: 'POST',
      body: { connection_id: whatsapp.id, ...DEMO_NUMBER },
    })
    numberId = created.id
  }
  if (!numberId) return ['attendance demo skipped: the number could not be added']
  await api(`/attendance/numbers/${numberId}/templates/sync`, { method: 'POST' })
  await fetch(`${fakesUrl}/whatsapp/__control/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      phone_number_id: DEMO_NUMBER.phone_number_id,
      waba_id: whatsapp.external_account_id,
      url: `${baseUrl}/webhooks/meta/acme`,
      app_secret: DEMO_APP_SECRET,
    }),
  })
  const existing = await api<{ data?: unknown[] }>('/attendance/conversations?limit=1')
  if (!existing.data?.length) {
    for (const customer of DEMO_CUSTOMERS)
      await fetch(`${fakesUrl}/whatsapp/__control/inbound`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          phone_number_id: DEMO_NUMBER.phone_number_id,
          from: customer.from,
          name: customer.name,
          text: customer.text,
          timestamp: Math.floor(Date.now() / 1000 - customer.hoursAgo * 3600),
        }),
      })
    // The webhook job runs on the local queue a moment later: resolve Carla's once it is there.
    for (let i = 0; i < 50; i++) {
      const list = await api<{ data?: { id: string; contact: { wa_id: string } }[] }>(
        '/attendance/conversations',
      )
      const carla = list.data?.find((c) => c.contact.wa_id === DEMO_CUSTOMERS[2].from)
      if (carla) {
        await api(`/attendance/conversations/${carla.id}/status`, {
          method: 'POST',
          body: { status: 'resolved' },
        })
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  // Business hours (Monday to Friday 9–18, Saturday 9–13) and an away message, set after the demo
  // conversations so they stay as they are; a team for the settings page.
  const hours = await api<{ weekly?: unknown[] }>('/attendance/hours')
  if (hours.weekly?.length === 0) {
    await api('/attendance/hours', {
      method: 'PUT',
      body: {
        time_zone: 'America/Sao_Paulo',
        weekly: [
          ...[1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '09:00', end: '18:00' })),
          { weekday: 6, start: '09:00', end: '13:00' },
        ],
        exceptions: [{ date: '2026-12-25' }, { date: '2026-12-24', start: '09:00', end: '12:00' }],
        away_message:
          'Olá! Nosso atendimento é de segunda a sexta, das 9h às 18h, e aos sábados até as 13h. Respondemos assim que abrirmos.',
        away_now: false,
      },
    })
    await api('/attendance/teams', { method: 'POST', body: { name: 'Recepção', member_ids: [] } })
  }
  const write = JSON.stringify({
    phone_number_id: DEMO_NUMBER.phone_number_id,
    from: '5511987650009',
    name: 'Novo Cliente',
    text: 'Olá!',
  })
  return [
    `attendance  acme's inbox: ${baseUrl}/api/v1/attendance/conversations (as acme's owner); a fake customer writes:`,
    `            curl -X POST ${fakesUrl}/whatsapp/__control/inbound -H 'content-type: application/json' -d '${write}'`,
  ]
}
