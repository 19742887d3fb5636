import { beforeAll, describe, expect, it } from 'vitest'
import {
  type AttendanceContext,
  attendanceSetup,
  customerWrites,
  seedTemplate,
} from '../../helpers/attendance.ts'
import { uniqueAccount } from '../../helpers/connections.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember } from '../../helpers/fixtures.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const DAY_S = 86_400

/** A tenant with the module and a member of `role` signed in to the portal (pt-BR unless told). */
async function signedIn(
  role: 'owner' | 'admin' | 'analyst' | 'viewer' = 'owner',
  options: { acceptLanguage?: string; modules?: string[] } = {},
) {
  const t = await attendanceSetup(db, options.modules ? { modules: options.modules } : {})
  const person = await createMember(db, t.tenant.tenantId, role)
  const browser = portalClient(t.scoped, { acceptLanguage: options.acceptLanguage ?? 'pt-BR' })
  expect((await browser.login(person.email)).status).toBe(303)
  return { t, person, browser }
}

/** The hidden client message id of the page's composer. */
const clientIdOf = (html: string) => /name="client_message_id" value="([^"]+)"/.exec(html)?.[1] ?? ''

const count = async (t: AttendanceContext, sql: string, params: unknown[]) =>
  Number((await t.scoped.owner<{ n: string }>(sql, params))[0]?.n)

describe('the inbox list (/app/inbox)', () => {
  it('lists conversations with the contact, a phone people read, the last words, the waiting marker and the assignee', async () => {
    const { t, browser } = await signedIn('owner')
    const from = uniqueAccount('5511', 13)
    await customerWrites(t, { from, name: 'Maria Cliente', text: 'Qual o horário de amanhã?' })
    await customerWrites(t, { name: 'João Pedro', text: 'Obrigado!' })

    const page = await browser.request('/app/inbox')
    expect(page.status).toBe(200)
    const html = await page.text()
    const text = textOf(html)
    expect(text).toContain('Atendimento')
    expect(text).toContain('Maria Cliente')
    expect(text).toContain('Qual o horário de amanhã?')
    expect(text).toContain('João Pedro')
    expect(text).toContain(`+55 ${from.slice(2, 4)} ${from.slice(4, 9)}-${from.slice(9)}`)
    expect(text).toContain('Aguardando resposta')
    expect(text).toContain('Sem responsável')
    expect(text).toContain('agora')
    expect(html.match(/data-testid="inbox-row"/g)).toHaveLength(2)
    // Ids travel in links only, never as text on screen.
    expect(text).not.toMatch(/\b(cnv|amg|anb|acn|usr)_/)
    // The menu offers the inbox, and the list refreshes itself (the live channel's fallback).
    expect(html).toContain('href="/app/inbox"')
    expect(html).toMatch(
      /id="inbox-list"[^>]*data-live="inbox"[^>]*hx-trigger="live:inbox[^"]*live:poll from:body"/,
    )
    expect(html).toContain('src="/js/live.js"')

    const english = portalClient(t.scoped, { acceptLanguage: 'en' })
    const owner = await createMember(db, t.tenant.tenantId, 'owner')
    await english.login(owner.email)
    const en = textOf(await (await english.request('/app/inbox')).text())
    expect(en).toContain('Inbox')
    expect(en).toContain('Waiting for reply')
    expect(en).toContain('Unassigned')
  })

  it('filters mine, unassigned, open, waiting and resolved, and searches by name or phone digits', async () => {
    const { t, browser, person } = await signedIn('owner')
    // No 0 or 1 after the prefix: the '100%' search below must not match a random number.
    const phone = () =>
      `55119${Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => 2 + (b % 8)).join('')}`
    const mine = await customerWrites(t, { name: 'Ana Minha', from: phone() })
    const resolved = await customerWrites(t, { name: 'Rui Resolvido', from: phone() })
    const answered = await customerWrites(t, { name: 'Bia Respondida', from: phone() })
    await t.call(`/api/v1/attendance/conversations/${mine.conversationId}/assign`, {
      method: 'POST',
      json: { assignee_id: person.id },
    })
    await t.call(`/api/v1/attendance/conversations/${resolved.conversationId}/status`, {
      method: 'POST',
      json: { status: 'resolved' },
    })
    await t.call(`/api/v1/attendance/conversations/${answered.conversationId}/notes`, {
      method: 'POST',
      json: { text: 'ligar amanhã' },
    })
    await t.scoped.owner('update attendance_conversations set waiting_since = null where id = $1', [
      answered.conversationId,
    ])

    const names = async (query: string) => {
      const html = await (await browser.request(`/app/inbox${query}`)).text()
      return [...html.matchAll(/<strong class="inbox-name">([^<]+)<\/strong>/g)].map((m) => m[1]).sort()
    }
    expect(await names('')).toEqual(['Ana Minha', 'Bia Respondida', 'Rui Resolvido'])
    expect(await names('?filter=mine')).toEqual(['Ana Minha'])
    expect(await names('?filter=unassigned')).toEqual(['Bia Respondida'])
    expect(await names('?filter=open')).toEqual(['Ana Minha', 'Bia Respondida'])
    expect(await names('?filter=waiting')).toEqual(['Ana Minha'])
    expect(await names('?filter=resolved')).toEqual(['Rui Resolvido'])
    expect(await names('?q=bia')).toEqual(['Bia Respondida'])
    expect(await names(`?q=${resolved.from.slice(-6)}`)).toEqual(['Rui Resolvido'])
    expect(await names('?q=100%25')).toEqual([])
    // An unknown tab is the whole inbox, not an error.
    expect(await names('?filter=everything')).toHaveLength(3)
    const empty = textOf(await (await browser.request('/app/inbox?q=ninguem')).text())
    expect(empty).toContain('Nenhuma conversa com um contato que corresponda a esta busca.')
  })
})

describe('a conversation (/app/inbox/<id>)', () => {
  it('inside the window: the countdown, a reply sent once however often the form is posted, and its ticks', async () => {
    const { t, browser } = await signedIn('owner')
    const { conversationId } = await customerWrites(t, {
      name: 'Maria Cliente',
      text: 'Oi, vocês abrem sábado?',
    })

    const page = await browser.request(`/app/inbox/${conversationId}`)
    expect(page.status).toBe(200)
    const html = await page.text()
    const text = textOf(html)
    expect(text).toContain('Oi, vocês abrem sábado?')
    expect(text).toMatch(/A janela de 24 horas fecha em 23 h \d+ min/)
    expect(html).toContain('data-enter-sends="true"')
    expect(html).toContain('src="/js/inbox.js"')
    const clientId = clientIdOf(html)
    expect(clientId).toMatch(/^[0-9a-f-]{36}$/)

    // A double submit: the same client message id twice sends one message.
    const form = { client_message_id: clientId, kind: 'text', text: 'Abrimos sim, das 9h às 13h.' }
    const [first, second] = await Promise.all([
      browser.request(`/app/inbox/${conversationId}/reply`, { form }),
      browser.request(`/app/inbox/${conversationId}/reply`, { form }),
    ])
    expect(first.status).toBe(303)
    expect(second.status).toBe(303)
    expect(first.headers.get('location')).toBe(`/app/inbox/${conversationId}`)
    expect(
      await count(
        t,
        'select count(*) as n from attendance_messages where conversation_id = $1 and direction = $2',
        [conversationId, 'out'],
      ),
    ).toBe(1)
    expect(
      await count(
        t,
        "select count(*) as n from outbound_messages where tenant_id = $1 and purpose = 'attendance.reply'",
        [t.tenant.tenantId],
      ),
    ).toBe(1)

    const after = textOf(await (await browser.request(`/app/inbox/${conversationId}`)).text())
    expect(after).toContain('Abrimos sim, das 9h às 13h.')
    expect(after).toContain('Enviando')

    // Answering one message: WhatsApp quotes it (context), and the thread shows what was answered.
    const [inbound] = await t.scoped.owner<{ id: string; wamid: string }>(
      "select id, wamid from attendance_messages where conversation_id = $1 and direction = 'in'",
      [conversationId],
    )
    const answering = await (
      await browser.request(`/app/inbox/${conversationId}?reply=${inbound?.id}`)
    ).text()
    expect(textOf(answering)).toContain('Respondendo a: Oi, vocês abrem sábado?')
    expect(answering).toContain(`name="reply_to" value="${inbound?.wamid}"`)
    const quoted = await browser.request(`/app/inbox/${conversationId}/reply`, {
      form: {
        client_message_id: clientIdOf(answering),
        kind: 'text',
        text: 'Sábado também!',
        reply_to: inbound?.wamid ?? '',
      },
    })
    expect(quoted.status).toBe(303)
    const [stored] = await t.scoped.owner<{ reply_to: string }>(
      "select reply_to from attendance_messages where conversation_id = $1 and body = 'Sábado também!'",
      [conversationId],
    )
    expect(stored?.reply_to).toBe(inbound?.wamid)
    expect(textOf(await (await browser.request(`/app/inbox/${conversationId}`)).text())).toContain(
      'Em resposta ao cliente: Oi, vocês abrem sábado? Sábado também!',
    )
    // Delivered, then read, then a failure with its reason in words.
    await t.scoped.owner("update outbound_messages set status = 'read' where tenant_id = $1", [
      t.tenant.tenantId,
    ])
    expect(textOf(await (await browser.request(`/app/inbox/${conversationId}`)).text())).toContain('✓✓ Lida')
    await t.scoped.owner(
      "update outbound_messages set status = 'failed', error_code = 'RECIPIENT_INVALID' where tenant_id = $1",
      [t.tenant.tenantId],
    )
    expect(textOf(await (await browser.request(`/app/inbox/${conversationId}`)).text())).toContain(
      'Não entregue : este número não recebe mensagens de WhatsApp',
    )
  })

  it('with the window closed: the template picker instead of free text, blanks checked before sending, WINDOW_CLOSED in words', async () => {
    const { t, browser } = await signedIn('owner')
    await seedTemplate(t, {
      name: 'appointment_reminder',
      language: 'pt_BR',
      body: 'Olá {{1}}, lembrete do seu horário às {{2}}.',
      parameters: ['1', '2'],
    })
    await seedTemplate(t, {
      name: 'promo',
      language: 'pt_BR',
      status: 'PENDING',
      body: 'Promo',
      parameters: [],
    })
    const { conversationId } = await customerWrites(t, {
      name: 'Carlos Antigo',
      text: 'Mensagem de anteontem',
      timestamp: Math.floor(Date.now() / 1000) - 2 * DAY_S,
    })

    const html = await (await browser.request(`/app/inbox/${conversationId}`)).text()
    const text = textOf(html)
    expect(text).toContain('A janela de 24 horas está fechada')
    expect(html).not.toContain('name="text"')
    expect(text).toContain('appointment_reminder')
    expect(text).toContain('Olá {{1}}, lembrete do seu horário às {{2}}.')
    expect(text).not.toContain('promo')
    expect(html).toContain('name="p_1"')
    expect(html).toContain('name="p_2"')
    const clientId = clientIdOf(html)

    const blank = await browser.request(`/app/inbox/${conversationId}/reply`, {
      form: {
        client_message_id: clientId,
        kind: 'template',
        template: 'appointment_reminder|pt_BR',
        p_1: 'Carlos',
        p_2: ' ',
      },
    })
    expect(blank.status).toBe(400)
    expect(textOf(await blank.text())).toContain('Preencha todas as lacunas do modelo.')

    // Free text posted anyway (an old tab): the service refuses, the page says why, nothing is stored.
    const refused = await browser.request(`/app/inbox/${conversationId}/reply`, {
      form: { client_message_id: clientId, kind: 'text', text: 'Oi' },
    })
    expect(refused.status).toBe(422)
    expect(textOf(await refused.text())).toContain(
      'A janela de 24 horas está fechada (o cliente não escreve há mais de um dia): envie um modelo aprovado.',
    )
    expect(
      await count(t, 'select count(*) as n from outbound_messages where tenant_id = $1', [t.tenant.tenantId]),
    ).toBe(0)

    const sent = await browser.request(`/app/inbox/${conversationId}/reply`, {
      form: {
        client_message_id: clientId,
        kind: 'template',
        template: 'appointment_reminder|pt_BR',
        p_1: 'Carlos',
        p_2: '15h',
      },
    })
    expect(sent.status).toBe(303)
    const thread = textOf(await (await browser.request(`/app/inbox/${conversationId}`)).text())
    expect(thread).toContain('Modelo appointment_reminder')
    expect(thread).toContain('Olá Carlos, lembrete do seu horário às 15h.')
  })

  it('notes, assignment, resolve, snooze, reopen and the contact’s name, each from its form', async () => {
    const { t, browser, person } = await signedIn('owner')
    const { conversationId, contactId } = await customerWrites(t, { name: 'Maria Cliente' })
    const base = `/app/inbox/${conversationId}`

    const note = await browser.request(`${base}/note`, {
      form: { note: 'Cliente VIP, tratar com prioridade' },
    })
    expect(note.status).toBe(303)
    expect(note.headers.get('location')).toBe(`${base}?done=note`)
    const withNote = await (await browser.request(`${base}?done=note`)).text()
    expect(textOf(withNote)).toContain('Nota interna de owner user')
    expect(textOf(withNote)).toContain('Nota salva.')
    expect(withNote).toContain('data-testid="msg-note"')

    expect((await browser.request(`${base}/assign`, { form: { assignee: 'me' } })).status).toBe(303)
    const [assigned] = await t.scoped.owner<{ assignee_id: string | null }>(
      'select assignee_id from attendance_conversations where id = $1',
      [conversationId],
    )
    expect(assigned?.assignee_id).toBe(person.id)
    expect(textOf(await (await browser.request(base)).text())).toContain('Com owner user')
    // A viewer cannot be given a conversation: the service refuses, the page says so.
    const viewer = await createMember(db, t.tenant.tenantId, 'viewer')
    const wrong = await browser.request(`${base}/assign`, { form: { assignee: viewer.id } })
    expect(wrong.headers.get('location')).toBe(`${base}?error=VALIDATION_FAILED`)
    expect((await browser.request(`${base}/assign`, { form: { assignee: 'nobody' } })).status).toBe(303)

    expect(
      (await browser.request(`${base}/status`, { form: { status: 'snoozed', hours: '4' } })).status,
    ).toBe(303)
    const [snoozed] = await t.scoped.owner<{ status: string; snoozed_until: Date }>(
      'select status, snoozed_until from attendance_conversations where id = $1',
      [conversationId],
    )
    expect(snoozed?.status).toBe('snoozed')
    expect(new Date(snoozed?.snoozed_until ?? 0).getTime() - Date.now()).toBeGreaterThan(3.9 * 3_600_000)
    expect(textOf(await (await browser.request(base)).text())).toContain('Adiada')
    expect(
      (await browser.request(`${base}/status`, { form: { status: 'snoozed', hours: '3' } })).headers.get(
        'location',
      ),
    ).toBe(`${base}?error=VALIDATION_FAILED`)

    expect((await browser.request(`${base}/status`, { form: { status: 'resolved' } })).status).toBe(303)
    const resolvedPage = textOf(await (await browser.request(base)).text())
    expect(resolvedPage).toContain('Resolvida')
    expect(resolvedPage).toContain('Reabrir')
    expect((await browser.request(`${base}/status`, { form: { status: 'open' } })).status).toBe(303)
    expect(textOf(await (await browser.request(base)).text())).toContain('Resolver')

    expect((await browser.request(`${base}/contact`, { form: { name: 'Maria da Silva' } })).status).toBe(303)
    const [contact] = await t.scoped.owner<{ name: string | null }>(
      'select name from attendance_contacts where id = $1',
      [contactId],
    )
    expect(contact?.name).toBe('Maria da Silva')
    const panel = textOf(await (await browser.request(base)).text())
    expect(panel).toContain('Maria da Silva')
    expect(panel).toContain('Nome no WhatsApp Maria Cliente')
    expect(panel).toContain('Consentimento')
  })
})

describe('who may use the inbox', () => {
  it('sends the signed-out to login, refuses viewers, lets analysts read without answering', async () => {
    const t = await attendanceSetup(db)
    const { conversationId } = await customerWrites(t, { name: 'Maria Cliente' })
    const anonymous = portalClient(t.scoped)
    const away = await anonymous.request(`/app/inbox/${conversationId}`)
    expect(away.status).toBe(303)
    expect(away.headers.get('location')).toBe(
      `/app/login?next=${encodeURIComponent(`/app/inbox/${conversationId}`)}`,
    )

    const viewer = await createMember(db, t.tenant.tenantId, 'viewer')
    const viewing = portalClient(t.scoped)
    await viewing.login(viewer.email)
    expect((await viewing.request('/app/inbox')).status).toBe(403)
    expect((await viewing.request(`/app/inbox/${conversationId}`)).status).toBe(403)
    expect((await viewing.request('/app/inbox/reports')).status).toBe(403)
    // The menu does not offer what the viewer may not open.
    expect(await (await viewing.request('/app')).text()).not.toContain('href="/app/inbox"')

    const analyst = await createMember(db, t.tenant.tenantId, 'analyst')
    const reading = portalClient(t.scoped)
    await reading.login(analyst.email)
    const page = await reading.request(`/app/inbox/${conversationId}`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(textOf(html)).toContain(
      'Você pode ler esta conversa; responder é para proprietários e administradores.',
    )
    expect(html).not.toContain('name="client_message_id"')
    const reply = await reading.request(`/app/inbox/${conversationId}/reply`, {
      form: { client_message_id: 'x1', kind: 'text', text: 'Oi' },
    })
    expect(reply.status).toBe(403)
    expect(
      (
        await reading.request(`/app/inbox/${conversationId}/status`, { form: { status: 'resolved' } })
      ).headers.get('location'),
    ).toContain('error=FORBIDDEN')
  })

  it('answers another tenant’s conversation, and an id that is no conversation, as a page that does not exist', async () => {
    const { browser } = await signedIn('owner')
    const other = await attendanceSetup(db)
    const { conversationId } = await customerWrites(other, { name: 'Cliente de outro' })
    for (const path of [`/app/inbox/${conversationId}`, '/app/inbox/cnv_nope', '/app/inbox/%27%20or%201=1']) {
      const page = await browser.request(path)
      expect(page.status).toBe(404)
      expect(textOf(await page.text())).not.toContain('Cliente de outro')
    }
    const reply = await browser.request(`/app/inbox/${conversationId}/reply`, {
      form: { client_message_id: 'x1', kind: 'text', text: 'Oi' },
    })
    expect(reply.status).toBe(404)
    const note = await browser.request(`/app/inbox/${conversationId}/note`, { form: { note: 'oi' } })
    expect(note.headers.get('location')).toContain('error=NOT_FOUND')
    expect(
      await other.scoped.owner(
        'select id from attendance_messages where conversation_id = $1 and direction <> $2',
        [conversationId, 'in'],
      ),
    ).toEqual([])
  })

  it('refuses a tenant whose plan has no attendance module, and leaves it out of the menu', async () => {
    const { t, browser } = await signedIn('owner', { modules: ['metrics'] })
    const page = await browser.request('/app/inbox')
    expect(page.status).toBe(403)
    // The page names the module and what it does, and how to get it.
    const refusal = textOf(await page.text())
    expect(refusal).toContain('Atendimento no WhatsApp não está no seu plano')
    expect(refusal).toContain('Uma caixa de entrada do WhatsApp compartilhada pela equipe')
    expect(refusal).toContain('pedir à equipe da Integra a mudança de plano')
    expect(refusal).not.toContain('attendance')
    expect((await browser.request('/app/inbox/reports')).status).toBe(403)
    const overview = await (await browser.request('/app')).text()
    expect(overview).not.toContain('href="/app/inbox"')
    expect(overview).toContain('href="/app/metrics"')
    expect(t.tenant.tenantId).toBeTruthy()
  })
})

describe('the inbox reports (/app/inbox/reports)', () => {
  it('shows the same numbers as GET /api/v1/attendance/reports, with charts, in pt-BR and en', async () => {
    const { t, browser, person } = await signedIn('owner')
    const one = await customerWrites(t, { name: 'Maria Cliente' })
    const two = await customerWrites(t, { name: 'João Pedro' })
    await t.call(`/api/v1/attendance/conversations/${one.conversationId}/assign`, {
      method: 'POST',
      json: { assignee_id: person.id },
    })
    await t.call(`/api/v1/attendance/conversations/${one.conversationId}/messages`, {
      method: 'POST',
      json: { type: 'text', client_message_id: 'r1', text: 'Olá!' },
    })
    await t.call(`/api/v1/attendance/conversations/${two.conversationId}/notes`, {
      method: 'POST',
      json: { text: 'nota' },
    })
    // Spread the episodes so the medians and means are not all zero.
    await t.scoped.owner(
      `update attendance_conversations set opened_at = opened_at - interval '10 minutes',
         resolved_at = now() + interval '1 hour' where id = $1`,
      [one.conversationId],
    )

    const today = new Date().toISOString().slice(0, 10)
    const from = new Date(Date.now() - 6 * DAY_S * 1000).toISOString().slice(0, 10)
    const api = (await (await t.call(`/api/v1/attendance/reports?from=${from}&to=${today}`)).json()) as {
      volume: { day: string; inbound: number; outbound: number; notes: number }[]
      by_agent: Record<string, number | string | null>[]
      by_number: Record<string, number | string | null>[]
    }
    const page = await browser.request(`/app/inbox/reports?from=${from}&to=${today}`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('id="volume-chart-title"')
    expect(html).toContain('id="agents-chart-title"')

    const totals = [...html.matchAll(/<dd data-value="(\d+)">/g)].map((m) => Number(m[1]))
    const sum = (field: 'inbound' | 'outbound' | 'notes') => api.volume.reduce((s, row) => s + row[field], 0)
    expect(totals).toEqual([sum('inbound'), sum('outbound'), sum('notes')])
    expect(totals).toEqual([2, 1, 1])

    const fields = [
      'conversations',
      'replied',
      'first_response_p50_s',
      'first_response_avg_s',
      'resolved',
      'resolution_p50_s',
      'resolution_avg_s',
    ]
    const rowsOf = (table: string) => {
      const body = new RegExp(`<table id="${table}">([\\s\\S]*?)</table>`).exec(html)?.[1] ?? ''
      return [...body.matchAll(/<tr data-key="([^"]*)">([\s\S]*?)<\/tr>/g)].map((m) => ({
        key: m[1],
        values: Object.fromEntries(
          [...(m[2] ?? '').matchAll(/data-field="(\w+)" data-value="([^"]*)"/g)].map((c) => [
            c[1],
            c[2] === '' ? null : Number(c[2]),
          ]),
        ),
      }))
    }
    const expected = (rows: Record<string, number | string | null>[], key: string) =>
      rows.map((row) => ({
        key: String(row[key] ?? ''),
        values: Object.fromEntries(fields.map((f) => [f, row[f] as number | null])),
      }))
    expect(rowsOf('report-agent-table')).toEqual(expected(api.by_agent, 'agent_id'))
    expect(rowsOf('report-number-table')).toEqual(expected(api.by_number, 'number_id'))
    expect(api.by_agent.some((row) => row.first_response_p50_s !== null)).toBe(true)
    expect(textOf(html)).toContain('Primeira resposta (mediana)')

    const english = portalClient(t.scoped, { acceptLanguage: 'en' })
    const owner = await createMember(db, t.tenant.tenantId, 'owner')
    await english.login(owner.email)
    const en = textOf(await (await english.request('/app/inbox/reports?days=7')).text())
    expect(en).toContain('Messages per day')
    expect(en).toContain('First response (median)')
    // Dates the API refuses (to before from) are a 400 page, never a 500.
    expect((await browser.request(`/app/inbox/reports?from=${today}&to=${from}`)).status).toBe(400)
  })
})
