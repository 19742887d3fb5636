/**
 * acme's scheduled reports for `npm run dev` (docs/reports.md): a weekly report to two clients and
 * a monthly one held for review, set up through the running Worker's API as an owner would, and a
 * test report of the weekly one rendered by the queue consumer and e-mailed to the owner, so
 * /app/reports has a delivered run with its PDF to download on first start.
 */
const OWNER = { email: 'owner@acme.example', password: 'integra-owner-demo' }

const DEMO_SCHEDULES = [
  {
    name: 'Relatório semanal — Padaria Pão Dourado',
    frequency: 'weekly',
    weekday: 1,
    local_time: '09:00',
    time_zone: 'America/Sao_Paulo',
    period: 'previous_week',
    language: 'pt-BR',
    recipients: ['marina@paodourado.example', 'financeiro@paodourado.example'],
  },
  {
    name: 'Monthly report — Café Ipê',
    frequency: 'monthly',
    month_day: 2,
    local_time: '08:00',
    time_zone: 'America/Sao_Paulo',
    period: 'previous_month',
    comparison: 'previous_year',
    language: 'en',
    recipients: ['owner@cafeipe.example'],
    hold_for_review: true,
  },
]

export async function setUpDemoReports(baseUrl: string): Promise<string[]> {
  const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': '127.0.0.1' },
    body: JSON.stringify(OWNER),
  })
  if (!login.ok) return [`reports demo skipped: owner login answered ${login.status}`]
  const { access_token } = (await login.json()) as { access_token: string }
  const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${baseUrl}/api/v1/reports${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    })
  const lines = [`reports     ${baseUrl}/app/reports (a test report reaches the owner's mailbox in a moment)`]
  // Only once: a restart keeps the schedules (and whatever was changed in them) as they are.
  const existing = (await (await api('/schedules')).json()) as { data?: { name: string }[] }
  if (existing.data?.some((s) => s.name === DEMO_SCHEDULES[0]?.name)) return lines
  const ids: string[] = []
  for (const schedule of DEMO_SCHEDULES) {
    const created = await api('/schedules', { method: 'POST', body: schedule })
    if (!created.ok) return [`reports demo: ${schedule.name} not created (${created.status})`]
    ids.push(((await created.json()) as { id: string }).id)
  }
  const preview = await api(`/schedules/${ids[0]}/preview`, { method: 'POST' })
  if (!preview.ok) return [...lines, `reports demo: the test report was not queued (${preview.status})`]
  return lines
}
