import fs from 'node:fs/promises'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setUpDemoAttendance } from '../../db/local/seed-attendance.ts'
import { launchBrowser } from './browser.ts'
import { type LocalStack, startLocalStack } from './stack.ts'

// The attendance inbox end to end (issue 14's "done when"): acme's owner answers a conversation
// inside the window, is offered a template outside it, and sees a customer's new message arrive on
// the open conversation without reloading. The customer writes through the fake WhatsApp's control
// endpoint, which posts a signed webhook to the Worker exactly as Meta would.

const SHOTS = path.resolve(import.meta.dirname, '../../test-results/screenshots')
const ACME_OWNER = { email: 'owner@acme.example', password: 'integra-owner-demo' }
// The demo's number and customers (db/local/seed-attendance.ts).
const PHONE_NUMBER_ID = '109000000000101'
const MARIA = '5511987650001'

let stack: LocalStack
let starting: Promise<LocalStack> | undefined
let browser: Browser
const consoleErrors: string[] = []

async function apiLogin(who: { email: string; password: string }) {
  const response = await fetch(`${stack.baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': '127.0.0.1' },
    body: JSON.stringify(who),
  })
  expect(response.status).toBe(200)
  const { access_token } = (await response.json()) as { access_token: string }
  return async <T>(route: string, init: { method?: string; body?: unknown } = {}) => {
    const answer = await fetch(`${stack.baseUrl}${route}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    })
    return { status: answer.status, body: (await answer.json().catch(() => null)) as T }
  }
}

const control = (route: string, body: unknown) =>
  fetch(`${stack.fakesUrl}/whatsapp/__control/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await probe()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/**
 * Acme's demo inbox as `npm run dev` sets it up (db/local/seed-attendance.ts): Maria inside the
 * window, João outside it, Carla resolved; waits for the webhook jobs and the template sync.
 */
async function prepareInbox() {
  await setUpDemoAttendance(stack.baseUrl, stack.fakesUrl)
  const owner = await apiLogin(ACME_OWNER)
  await until('the demo conversations and the synced templates', async () => {
    const list = await owner<{ data: unknown[] }>('/api/v1/attendance/conversations?limit=10')
    const numbers = await owner<{ data: { id: string }[] }>('/api/v1/attendance/numbers')
    const id = numbers.body.data[0]?.id
    if (!id || list.body.data.length < 3) return undefined
    const templates = await owner<{ data: { status: string }[] }>(
      `/api/v1/attendance/numbers/${id}/templates`,
    )
    return templates.body.data.some((t) => t.status === 'APPROVED') ? true : undefined
  })
}

beforeAll(async () => {
  await fs.mkdir(SHOTS, { recursive: true })
  browser = await launchBrowser()
  starting = startLocalStack()
  stack = await starting
  await prepareInbox()
})

afterAll(async () => {
  await browser?.close()
  await (await starting?.catch(() => undefined))?.stop()
})

async function signedInPage(locale: string, width: number): Promise<Page> {
  const context = await browser.newContext({ locale, viewport: { width, height: 900 } })
  const page = await context.newPage()
  page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`)
  })
  await page.goto(`${stack.baseUrl}/app/login`)
  await page.fill('input[name=email]', ACME_OWNER.email)
  await page.fill('input[name=password]', ACME_OWNER.password)
  await Promise.all([page.waitForURL(/\/app$/), page.click('button[type=submit]')])
  return page
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true })

describe('the attendance inbox in a real browser', () => {
  it('answers inside the window, offers a template outside it, and shows a new message without a reload', async () => {
    const page = await signedInPage('pt-BR', 1280)
    await page.click('nav >> text=Atendimento')
    await page.waitForURL(/\/app\/inbox$/)
    await expect
      .poll(() => page.locator('.inbox-name').allTextContents())
      .toEqual(expect.arrayContaining(['Maria Souza', 'João Lima']))
    await shot(page, 'inbox-list-1280-pt-BR')

    // Inside the window: the countdown, then Enter sends and the fake WhatsApp receives it once.
    await page.click('.inbox-row >> text=Maria Souza')
    await expect.poll(() => page.locator('.window-open').textContent()).toMatch(/fecha em 23 h/)
    await page.fill('#reply-text', 'Saiu hoje cedo, chega amanhã!')
    await Promise.all([page.waitForLoadState('load'), page.press('#reply-text', 'Enter')])
    await expect.poll(() => page.locator('.msg-out').last().textContent()).toContain('Saiu hoje cedo')
    const sent = await until('the reply at the fake WhatsApp', async () => {
      const answer = await fetch(`${stack.fakesUrl}/whatsapp/__control/messages?to=${MARIA}`)
      const { messages } = (await answer.json()) as { messages: { text?: string }[] }
      return messages.length > 0 ? messages : undefined
    })
    expect(sent).toHaveLength(1)
    expect(sent[0]?.text).toBe('Saiu hoje cedo, chega amanhã!')
    await shot(page, 'inbox-open-window-1280-pt-BR')

    // Outside the window: no free text, the approved templates with their blanks.
    await page.click('.inbox-row >> text=João Lima')
    expect(await page.locator('#reply-text').count()).toBe(0)
    await expect
      .poll(() => page.locator('.window-closed').textContent())
      .toContain('janela de 24 horas está fechada')
    expect(await page.locator('details.tpl summary').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('appointment_reminder')]),
    )
    await shot(page, 'inbox-closed-window-1280-pt-BR')

    // A customer writes while Maria's conversation is open: it appears without a reload.
    await page.click('.inbox-row >> text=Maria Souza')
    await page.waitForSelector('#reply-text')
    await page.evaluate('window.notReloaded = true')
    // The live channel is up (live.js marks <html>): the message comes by it, not by polling.
    await page.waitForSelector('html[data-live-state="live"]', { state: 'attached', timeout: 30_000 })
    const before = Date.now()
    await control('inbound', {
      phone_number_id: PHONE_NUMBER_ID,
      from: MARIA,
      name: 'Maria Souza',
      text: 'Perfeito, obrigada!',
    })
    await page.waitForSelector('.msg-in >> text=Perfeito, obrigada!', { timeout: 45_000 })
    const delayMs = Date.now() - before
    expect(await page.evaluate('window.notReloaded === true')).toBe(true)
    console.info(`inbound message on the open conversation after ${delayMs} ms (live channel)`)

    await page.goto(`${stack.baseUrl}/app/inbox/reports?days=7`)
    const received = Number(await page.locator('#report-totals dd').first().getAttribute('data-value'))
    expect(received).toBeGreaterThanOrEqual(3)
    await shot(page, 'inbox-reports-1280-pt-BR')
    expect(consoleErrors).toEqual([])
  })

  it('is usable at phone width, in English', async () => {
    const page = await signedInPage('en', 390)
    await page.goto(`${stack.baseUrl}/app/inbox`)
    await expect.poll(() => page.locator('.inbox-name').count()).toBeGreaterThanOrEqual(3)
    await shot(page, 'inbox-list-390-en')
    await Promise.all([page.waitForURL(/\/app\/inbox\/cnv_/), page.click('.inbox-row >> text=Maria Souza')])
    // The conversation replaces the list, with a way back; nothing wider than the screen.
    expect(await page.locator('#inbox-list').isHidden()).toBe(true)
    expect(await page.locator('.conv-back').isVisible()).toBe(true)
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390)
    await shot(page, 'inbox-open-window-390-en')
    await Promise.all([page.waitForURL(/\/app\/inbox$/), page.click('.conv-back')])
    await Promise.all([page.waitForURL(/\/app\/inbox\/cnv_/), page.click('.inbox-row >> text=João Lima')])
    await expect.poll(() => page.locator('.window-closed').textContent()).toContain('window is closed')
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390)
    await shot(page, 'inbox-closed-window-390-en')
    await page.goto(`${stack.baseUrl}/app/inbox/reports`)
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390)
    await shot(page, 'inbox-reports-390-en')
    expect(consoleErrors).toEqual([])
  })
})
