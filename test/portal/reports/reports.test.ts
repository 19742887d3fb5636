import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../../db/ids.ts'
import { r2Objects } from '../../../worker/runtime/cloudflare.ts'
import { putFile, tenantFileKey } from '../../../worker/services/files/files.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/env.ts'
import { createMember, createTenant } from '../../helpers/fixtures.ts'
import { portalClient, textOf } from '../../helpers/portal.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const SCHEDULE_FORM = {
  name: 'Relatório semanal Café',
  frequency: 'weekly',
  weekday: '1',
  month_day: '1',
  local_time: '09:00',
  time_zone: 'America/Sao_Paulo',
  period: 'previous_week',
  period_days: '30',
  comparison: 'previous_period',
  language: 'pt-BR',
  format: 'attachment',
  recipients: 'cliente@example.test\nDona.Ana@Example.test, cliente@example.test',
}

/** A metrics tenant with a member of `role` signed in to the portal. */
async function open(
  role: 'owner' | 'admin' | 'analyst' | 'viewer' = 'owner',
  lang = 'pt-BR',
  modules = ['metrics'],
) {
  const tenant = await createTenant(db, { modules })
  const member = await createMember(db, tenant.tenantId, role)
  const browser = portalClient(db, { acceptLanguage: lang })
  expect((await browser.login(member.email)).status).toBe(303)
  return { tenant, member, browser }
}

const locationOf = (response: Response) => response.headers.get('location') ?? ''

/** A schedule made straight in the database (for tenants whose members may not create one). */
async function plantSchedule(tenantId: string, createdBy: string) {
  const id = newId('rps')
  await db.owner(
    `insert into report_schedules (id, tenant_id, name, frequency, weekday, local_time, time_zone, period,
       recipients, next_run_at, created_by)
     values ($1, $2, 'Planted', 'weekly', 3, '10:00', 'America/Sao_Paulo', 'previous_week',
       '{a@example.test,b@example.test}', '2030-01-02T13:00:00Z', $3)`,
    [id, tenantId, createdBy],
  )
  return id
}

/** A run held for review, its PDF stored, with the reasons the job would have written. */
async function plantHeldRun(tenantId: string, scheduleId: string, week = 0) {
  const id = newId('rpr')
  const key = tenantFileKey(tenantId, 'reports', `${id}.pdf`)
  const size = await putFile(
    r2Objects(db.env.FILES),
    key,
    new TextEncoder().encode('%PDF-1.7 portal'),
    'application/pdf',
  )
  await db.owner(
    `insert into report_runs (id, tenant_id, schedule_id, period_start, period_end, status, hold_reasons,
       file_key, file_size, pages, rendered_at)
     values ($1, $2, $3, '2026-11-30'::date - 7 * $6::int, '2026-12-06'::date - 7 * $6::int, 'held',
       '["Café Ipê precisa ser reconectada: os dados podem parar antes do fim do período."]', $4, $5, 4, now())`,
    [id, tenantId, scheduleId, key, size, week],
  )
  return id
}

const scheduleRow = async (id: string) =>
  (
    await db.owner<{ frequency: string; month_day: number | null; active: boolean; recipients: string[] }>(
      'select frequency, month_day, active, recipients from report_schedules where id = $1',
      [id],
    )
  )[0]

describe('/app/reports: schedules through the API’s verbs', () => {
  it('creates a schedule from the form (bad input kept beside its errors), then shows it in words', async () => {
    const { browser } = await open()
    const empty = await browser.request('/app/reports')
    expect(empty.status).toBe(200)
    const emptyHtml = await empty.text()
    expect(textOf(emptyHtml)).toContain('Nenhum relatório agendado ainda.')
    expect(emptyHtml).toContain('href="/app/reports"')

    const bad = await browser.request('/app/reports/schedules', {
      form: { ...SCHEDULE_FORM, recipients: 'cliente@example.test, não-é-email', local_time: '25:00' },
    })
    expect(bad.status).toBe(400)
    const badHtml = await bad.text()
    expect(badHtml).toContain('aria-invalid="true"')
    expect(textOf(badHtml)).toContain('não-é-email')

    const created = await browser.request('/app/reports/schedules', { form: SCHEDULE_FORM })
    expect(created.status).toBe(303)
    const location = locationOf(created)
    expect(location).toMatch(/^\/app\/reports\/schedules\/rps_[0-9a-z]{20}\?done=created$/)
    const id = location.slice('/app/reports/schedules/'.length, location.indexOf('?'))
    expect((await scheduleRow(id))?.recipients).toEqual(['cliente@example.test', 'dona.ana@example.test'])

    const page = await browser.request(location)
    expect(page.status).toBe(200)
    const text = textOf(await page.text())
    expect(text).toContain('Relatório agendado criado.')
    expect(text).toContain('Toda semana, segunda-feira, às 09:00')
    expect(text).toContain('Semana anterior · comparado com o período anterior')
    expect(text).toContain('Próximo relatório:')
    expect(text).toContain('2 destinatário(s)')
    expect(text).toContain('Nenhum relatório foi gerado ainda.')
    expect(text).not.toMatch(/\b(rps|rpr|usr|ten)_[0-9a-z]{20}\b/)

    const list = textOf(await (await browser.request('/app/reports')).text())
    expect(list).toContain('Relatório semanal Café')
    expect(list).toContain('Ativa')
  })

  it('edits, pauses, resumes, sends a test to the member, and deletes after a confirm page', async () => {
    const { browser, tenant, member } = await open('admin')
    const created = await browser.request('/app/reports/schedules', { form: SCHEDULE_FORM })
    const page = locationOf(created).split('?')[0] as string
    const id = page.split('/').at(-1) as string

    const edited = await browser.request(page, {
      form: { ...SCHEDULE_FORM, frequency: 'monthly', month_day: '5' },
    })
    expect(locationOf(edited)).toBe(`${page}?done=saved`)
    expect(await scheduleRow(id)).toMatchObject({ frequency: 'monthly', month_day: 5 })
    expect(textOf(await (await browser.request(page)).text())).toContain('Todo mês no dia 5 às 09:00')

    const badEdit = await browser.request(page, { form: { ...SCHEDULE_FORM, time_zone: 'Mars/Olympus' } })
    expect(badEdit.status).toBe(400)
    expect((await scheduleRow(id))?.frequency).toBe('monthly')

    expect(locationOf(await browser.request(`${page}/active`, { form: { active: 'no' } }))).toBe(
      `${page}?done=paused`,
    )
    expect((await scheduleRow(id))?.active).toBe(false)
    expect(textOf(await (await browser.request(page)).text())).toContain(
      'Pausado: nenhum relatório será enviado',
    )
    await browser.request(`${page}/active`, { form: { active: 'yes' } })
    expect((await scheduleRow(id))?.active).toBe(true)

    const preview = await browser.request(`${page}/preview`, { form: {} })
    expect(locationOf(preview)).toBe(`${page}?done=preview`)
    const previews = await db.owner<{ requested_by: string }>(
      `select requested_by from report_runs where schedule_id = $1 and kind = 'preview'`,
      [id],
    )
    expect(previews).toEqual([{ requested_by: member.id }])
    expect(textOf(await (await browser.request(locationOf(preview))).text())).toContain(
      `Um relatório de teste está a caminho de ${member.email}.`,
    )

    const confirm = await browser.request(`${page}/delete`)
    expect(confirm.status).toBe(200)
    const confirmText = textOf(await confirm.text())
    expect(confirmText).toContain('Excluir “Relatório semanal Café”?')
    expect(confirmText).toContain('histórico de 1 relatório(s)')
    expect(await scheduleRow(id)).toBeDefined()
    const deleted = await browser.request(`${page}/delete`, { form: {} })
    expect(locationOf(deleted)).toBe('/app/reports?done=deleted')
    expect(await scheduleRow(id)).toBeUndefined()
    const audit = await db.owner<{ action: string }>(
      `select action from audit_log where tenant_id = $1 and target_id = $2 order by created_at`,
      [tenant.tenantId, id],
    )
    expect(audit.map((row) => row.action)).toEqual([
      'reports.schedule_created',
      'reports.schedule_updated',
      'reports.schedule_paused',
      'reports.schedule_resumed',
      'reports.schedule_deleted',
    ])
  })

  it('shows held runs with their reasons; release sends once per recipient, skip sends nothing; the PDF downloads', async () => {
    const { browser, tenant, member } = await open()
    const scheduleId = await plantSchedule(tenant.tenantId, member.id)
    const held = await plantHeldRun(tenant.tenantId, scheduleId)
    const other = await plantHeldRun(tenant.tenantId, scheduleId, 1)

    const html = await (await browser.request('/app/reports')).text()
    const text = textOf(html)
    expect(text).toContain('Aguardando sua revisão')
    expect(text).toContain('Café Ipê precisa ser reconectada')
    expect(text).toContain('Aguardando revisão')
    expect(text).toContain('30 de nov. de 2026 – 6 de dez. de 2026')
    expect(html).toContain(`href="/app/reports/runs/${held}/file"`)

    const file = await browser.request(`/app/reports/runs/${held}/file`)
    expect(file.status).toBe(200)
    expect(file.headers.get('content-type')).toBe('application/pdf')
    expect(new TextDecoder().decode(await file.arrayBuffer())).toBe('%PDF-1.7 portal')

    const released = await browser.request(`/app/reports/runs/${held}/release`, {
      form: { back: `/app/reports/schedules/${scheduleId}` },
    })
    expect(locationOf(released)).toBe(`/app/reports/schedules/${scheduleId}?done=released`)
    const again = await browser.request(`/app/reports/runs/${held}/release`, {
      form: { back: '//evil.example' },
    })
    expect(locationOf(again)).toBe('/app/reports?error=INVALID_TRANSITION')
    const mails = await db.owner<{ recipient: string }>(
      `select recipient from outbound_messages where tenant_id = $1 and idempotency_key like $2 order by recipient`,
      [tenant.tenantId, `report:${held}:%`],
    )
    expect(mails.map((m) => m.recipient)).toEqual(['a@example.test', 'b@example.test'])

    expect(locationOf(await browser.request(`/app/reports/runs/${other}/skip`, { form: {} }))).toBe(
      '/app/reports?done=skipped',
    )
    const statuses = await db.owner<{ id: string; status: string }>(
      'select id, status from report_runs where schedule_id = $1',
      [scheduleId],
    )
    expect(Object.fromEntries(statuses.map((r) => [r.id, r.status]))).toEqual({
      [held]: 'sent',
      [other]: 'skipped',
    })
    expect(
      (await db.owner('select 1 from outbound_messages where idempotency_key like $1', [`report:${other}:%`]))
        .length,
    ).toBe(0)
  })

  it('speaks English, and is usable at phone width without raw ids', async () => {
    const { browser, tenant, member } = await open('owner', 'en')
    const scheduleId = await plantSchedule(tenant.tenantId, member.id)
    await plantHeldRun(tenant.tenantId, scheduleId)
    const text = textOf(await (await browser.request('/app/reports')).text())
    expect(text).toContain('Scheduled reports')
    expect(text).toContain('Every Wednesday at 10:00')
    expect(text).toContain('Waiting for your review')
    expect(text).toContain('Send now')
    expect(text).not.toMatch(/\b(rps|rpr|usr|ten)_[0-9a-z]{20}\b/)
    const form = textOf(await (await browser.request('/app/reports/new')).text())
    expect(form).toContain('Hold for review when the data is incomplete')
  })
})

describe('/app/reports: who may do what', () => {
  it('lets an analyst read and test but not change; refuses viewers; hides forms they cannot use', async () => {
    const { browser, tenant } = await open('analyst')
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const scheduleId = await plantSchedule(tenant.tenantId, owner.id)
    const run = await plantHeldRun(tenant.tenantId, scheduleId)
    const page = await browser.request(`/app/reports/schedules/${scheduleId}`)
    expect(page.status).toBe(200)
    const text = textOf(await page.text())
    expect(text).toContain('Enviar um teste para mim agora')
    expect(text).not.toContain('Salvar alterações')
    expect(text).not.toContain('Enviar agora')
    expect((await browser.request('/app/reports/new')).status).toBe(403)
    // Forged posts are refused by the verbs, whatever the page showed.
    for (const [path, form] of [
      ['/app/reports/schedules', SCHEDULE_FORM],
      [`/app/reports/schedules/${scheduleId}`, SCHEDULE_FORM],
      [`/app/reports/schedules/${scheduleId}/active`, { active: 'no' }],
      [`/app/reports/schedules/${scheduleId}/delete`, {}],
      [`/app/reports/runs/${run}/release`, {}],
      [`/app/reports/runs/${run}/skip`, {}],
    ] as const)
      expect((await browser.request(path, { form })).status, path).toBe(403)
    expect((await scheduleRow(scheduleId))?.active).toBe(true)

    const viewer = await open('viewer')
    expect((await viewer.browser.request('/app/reports')).status).toBe(403)
    expect(
      (await viewer.browser.request(`/app/reports/schedules/${scheduleId}/preview`, { form: {} })).status,
    ).toBe(403)
    expect(await (await viewer.browser.request('/app/metrics')).text()).not.toContain('href="/app/reports"')
  })

  it("answers another tenant's schedules and runs as unknown (404), and refuses a plan without metrics", async () => {
    const a = await open()
    const scheduleId = await plantSchedule(a.tenant.tenantId, a.member.id)
    const run = await plantHeldRun(a.tenant.tenantId, scheduleId)
    const b = await open()
    for (const path of [
      `/app/reports/schedules/${scheduleId}`,
      `/app/reports/schedules/${scheduleId}/delete`,
      `/app/reports/runs/${run}/file`,
      '/app/reports/schedules/rps_notanid',
    ])
      expect((await b.browser.request(path)).status, path).toBe(404)
    for (const [path, form] of [
      [`/app/reports/schedules/${scheduleId}`, SCHEDULE_FORM],
      [`/app/reports/schedules/${scheduleId}/active`, { active: 'no' }],
      [`/app/reports/schedules/${scheduleId}/preview`, {}],
      [`/app/reports/schedules/${scheduleId}/delete`, {}],
      [`/app/reports/runs/${run}/release`, {}],
      [`/app/reports/runs/${run}/skip`, {}],
    ] as const)
      expect((await b.browser.request(path, { form })).status, path).toBe(404)
    expect(await scheduleRow(scheduleId)).toMatchObject({ active: true })

    const calendarOnly = await open('owner', 'pt-BR', ['calendar'])
    expect((await calendarOnly.browser.request('/app/reports')).status).toBe(403)
    expect(await (await calendarOnly.browser.request('/app/calendar')).text()).not.toContain(
      'href="/app/reports"',
    )
    // Without the CSRF token a post is refused before anything runs; signed out goes to login.
    const noToken = await a.browser.request(`/app/reports/schedules/${scheduleId}/delete`, {
      form: {},
      withoutToken: true,
    })
    expect(noToken.status).toBe(403)
    expect(await scheduleRow(scheduleId)).toBeDefined()
    const stranger = portalClient(db)
    expect(locationOf(await stranger.request('/app/reports'))).toMatch(/^\/app\/login/)
  })
})
