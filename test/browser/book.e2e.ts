import fs from 'node:fs/promises'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setUpDemoScheduling } from '../../db/local/seed.ts'
import { launchBrowser } from './browser.ts'
import { type LocalStack, startLocalStack } from './stack.ts'

const SHOTS = path.resolve(import.meta.dirname, '../../test-results/screenshots')

let stack: LocalStack
let starting: Promise<LocalStack> | undefined
let browser: Browser

beforeAll(async () => {
  await fs.mkdir(SHOTS, { recursive: true })
  browser = await launchBrowser()
  starting = startLocalStack()
  stack = await starting
  await setUpDemoScheduling(stack.baseUrl)
})

afterAll(async () => {
  await browser?.close()
  await (await starting?.catch(() => undefined))?.stop()
})

describe('the public booking page on a phone', () => {
  it('books acme’s demo clinic at 390 px wide, in Portuguese, without horizontal scrolling', async () => {
    const context = await browser.newContext({
      locale: 'pt-BR',
      viewport: { width: 390, height: 844 },
      isMobile: true,
    })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    await page.goto(`${stack.baseUrl}/book/acme`)
    await page.screenshot({ path: path.join(SHOTS, 'book-1-services-390.png'), fullPage: true })
    await page.getByRole('link', { name: /Consulta/ }).click()
    await page.getByRole('link', { name: 'Qualquer profissional' }).click()
    await page.waitForSelector('#slots')
    await page.screenshot({ path: path.join(SHOTS, 'book-2-slots-390.png'), fullPage: true })
    await page.locator('#slots button').first().click()
    await page.waitForSelector('input[name=name]')
    await page.fill('input[name=name]', 'Visitante Teste')
    await page.fill('input[name=phone]', '(11) 91234-0000')
    await page.check('input[name=consent]')
    await page.screenshot({ path: path.join(SHOTS, 'book-3-details-390.png'), fullPage: true })
    await page.getByRole('button', { name: 'Confirmar agendamento' }).click()
    await page.getByRole('heading', { name: 'Agendado!' }).waitFor()
    await page.screenshot({ path: path.join(SHOTS, 'book-4-done-390.png'), fullPage: true })
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')
    expect(overflow).toBeLessThanOrEqual(0)
    expect(errors).toEqual([])
    await context.close()
  })
})

describe('the owner’s day view hears a public booking', () => {
  it('shows a booking made on a phone on the owner’s /app/schedule without a reload', async () => {
    const owner = await browser.newContext({ locale: 'pt-BR', viewport: { width: 1280, height: 900 } })
    const staff = await owner.newPage()
    const errors: string[] = []
    staff.on('pageerror', (error) => errors.push(error.message))
    await staff.goto(`${stack.baseUrl}/app/login`)
    await staff.fill('input[name=email]', 'owner@acme.example')
    await staff.fill('input[name=password]', 'integra-owner-demo')
    await Promise.all([staff.waitForURL(/\/app(\?.*)?$/), staff.click('main button[type=submit]')])

    const phone = await browser.newContext({
      locale: 'pt-BR',
      viewport: { width: 390, height: 844 },
      isMobile: true,
    })
    const visitor = await phone.newPage()
    await visitor.goto(`${stack.baseUrl}/book/acme`)
    await visitor.getByRole('link', { name: /Consulta/ }).click()
    await visitor.getByRole('link', { name: 'Qualquer profissional' }).click()
    await visitor.waitForSelector('#slots')
    const startsAt = await visitor.locator('#slots input[name=starts_at]').first().inputValue()
    // The demo's hours (8–18 in São Paulo) fall on the same date in UTC and in the staff's zone.
    await staff.goto(`${stack.baseUrl}/app/schedule?view=day&day=${startsAt.slice(0, 10)}`)
    await staff.waitForSelector('html[data-live-state=live]', { state: 'attached' })
    const name = `Visitante Ao Vivo ${Math.floor(Math.random() * 1e6)}`
    expect(await staff.getByText(name).count()).toBe(0)

    await visitor.locator('#slots button').first().click()
    await visitor.waitForSelector('input[name=name]')
    await visitor.fill('input[name=name]', name)
    await visitor.fill('input[name=phone]', '(11) 91234-5555')
    await visitor.getByRole('button', { name: 'Confirmar agendamento' }).click()
    await visitor.getByRole('heading', { name: 'Agendado!' }).waitFor()

    // No reload: the board hears `schedule.changed` and fetches itself again.
    await staff.getByText(name).waitFor({ timeout: 15_000 })
    await staff.screenshot({ path: path.join(SHOTS, 'schedule-live-1280.png'), fullPage: true })
    expect(errors).toEqual([])
    await owner.close()
    await phone.close()
  })
})
