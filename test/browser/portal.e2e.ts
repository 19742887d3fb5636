import fs from 'node:fs/promises'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser } from './browser.ts'
import { type LocalStack, startLocalStack } from './stack.ts'

const SHOTS = path.resolve(import.meta.dirname, '../../test-results/screenshots')
const OPERATOR = { email: 'operator@integra.example', password: 'integra-operator-demo' }
const ACME_OWNER = { email: 'owner@acme.example', password: 'integra-owner-demo' }

let stack: LocalStack
let starting: Promise<LocalStack> | undefined
let browser: Browser
/** Console errors and page errors of every page, except the status lines of pages meant to fail. */
const consoleErrors: string[] = []

beforeAll(async () => {
  await fs.mkdir(SHOTS, { recursive: true })
  // The browser first: without one the suite fails in seconds, before the stack starts.
  // (playwright-core gives every launch a fresh temporary --user-data-dir.)
  browser = await launchBrowser()
  starting = startLocalStack()
  stack = await starting
})

afterAll(async () => {
  await browser?.close()
  // The stack even if beforeAll timed out while it was starting: stopped once it is up, not left
  // running (its wrangler is detached, in a process group of its own).
  await (await starting?.catch(() => undefined))?.stop()
})

async function newPage(
  locale: string,
  options: { expectFailures?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    locale,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
  })
  const page = await context.newPage()
  page.on('dialog', (dialog) => void dialog.accept())
  page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() !== 'error') return
    const expected =
      options.expectFailures && /Failed to load resource: .* status of 40[34]/.test(message.text())
    if (!expected) consoleErrors.push(`${page.url()}: ${message.text()}`)
  })
  return { context, page }
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true })

async function signIn(page: Page, area: 'admin' | 'app', who: { email: string; password: string }) {
  await page.goto(`${stack.baseUrl}/${area}/login`)
  await page.fill('input[name=email]', who.email)
  await page.fill('input[name=password]', who.password)
  await Promise.all([
    page.waitForURL(new RegExp(`/${area}(\\?.*)?$`)),
    page.click('main button[type=submit]'),
  ])
}

describe('the portals in a real browser', () => {
  const slug = `e2e-${Date.now().toString(36)}`
  const owner = { email: `owner@${slug}.example`, password: 'e2e owner password' }

  it('the operator creates a tenant, a license and an owner', async () => {
    const { context, page } = await newPage('pt-BR')
    await signIn(page, 'admin', OPERATOR)
    expect(await page.getAttribute('html', 'lang')).toBe('pt-BR')
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Painel')
    await shot(page, '01-admin-dashboard')

    await page.goto(`${stack.baseUrl}/admin/tenants`)
    await page.fill('#new-tenant input[name=name]', 'E2E Comunicação')
    await page.fill('#new-tenant input[name=slug]', slug)
    await Promise.all([
      page.waitForURL(/\/admin\/tenants\/ten_\w+\?done=created/),
      page.click('#new-tenant button[type=submit]'),
    ])

    await page.selectOption('select[name=plan_id]', { label: 'Pro (pro)' })
    await Promise.all([
      page.waitForURL(/done=license/),
      page.click('form[action="/admin/licenses"] button[type=submit]'),
    ])
    const users = page.locator('form[action$="/users"]')
    await users.locator('input[name=name]').fill('E2E Owner')
    await users.locator('input[name=email]').fill(owner.email)
    await users.locator('select[name=role]').selectOption('owner')
    await users.locator('input[name=password]').fill(owner.password)
    await Promise.all([page.waitForURL(/done=user/), users.locator('button[type=submit]').click()])
    await expect(page.locator('main').textContent()).resolves.toContain(owner.email)
    await shot(page, '02-admin-tenant')
    await context.close()
  })

  it('the owner connects accounts (token and OAuth), sees charts, switches language, exports CSV', async () => {
    const { context, page } = await newPage('pt-BR')
    // The operator typed the owner's first password: the first sign-in asks for a new one first.
    await page.goto(`${stack.baseUrl}/app/login`)
    await page.fill('input[name=email]', owner.email)
    await page.fill('input[name=password]', owner.password)
    await Promise.all([
      page.waitForURL(/\/app\/account\?required=password/),
      page.click('main button[type=submit]'),
    ])
    const changed = 'e2e owner own password'
    const passwordForm = page.locator('form[action="/app/account/password"]')
    await passwordForm.locator('input[name=current_password]').fill(owner.password)
    await passwordForm.locator('input[name=new_password]').fill(changed)
    await passwordForm.locator('input[name=confirm_password]').fill(changed)
    await passwordForm.locator('button[type=submit]').click()
    await page.waitForSelector('.alert.success')
    owner.password = changed
    await page.goto(`${stack.baseUrl}/app`)
    expect(await page.getAttribute('html', 'lang')).toBe('pt-BR')
    await shot(page, '03-app-overview-empty')

    await page.goto(`${stack.baseUrl}/app/connections`)
    const form = page.locator('#connect form[action="/app/connections"]')
    await form.locator('select[name=platform]').selectOption('instagram')
    await form.locator('input[name=external_account_id]').fill('17841400000000101')
    await form.locator('input[name=label]').fill('Instagram E2E')
    await form.locator('input[name=access_token]').fill('fake-demo-instagram-access')
    await form.locator('button[type=submit]').click()
    await page.waitForURL(/done=registered/)
    await expect(page.locator('#connections-list').textContent()).resolves.toContain('Instagram E2E')

    // OAuth through the fake TikTok: consent page → callback → connected.
    await Promise.all([
      page.waitForURL(/\/app\/connections\?done=connected/, { timeout: 30_000 }),
      page.click('form[action="/app/connections/oauth/tiktok"] button'),
    ])
    await expect(page.locator('#connections-list').textContent()).resolves.toContain('TikTok')
    await shot(page, '04-app-connections')

    // The backfill runs through the local queue: the overview fills with charts.
    for (let i = 0; i < 60; i++) {
      await page.goto(`${stack.baseUrl}/app?period=30`)
      if ((await page.locator('svg.chart').count()) > 0) break
      await page.waitForTimeout(1_000)
    }
    expect(await page.locator('svg.chart').count()).toBeGreaterThan(0)
    expect(await page.locator('svg.chart circle title').count()).toBeGreaterThan(0)
    await shot(page, '05-app-overview-charts')

    await Promise.all([page.waitForURL(/\/app/), page.click('footer button[value=en]')])
    expect(await page.getAttribute('html', 'lang')).toBe('en')
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Overview')

    await page.goto(`${stack.baseUrl}/app/metrics?period=30`)
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('a[href^="/app/metrics/export"]'),
    ])
    const csv = await fs.readFile((await download.path()) as string, 'utf8')
    // The portal's CSV is for people, in the page's language (now English): names, no ids.
    expect(csv.split(/\r?\n/)[0]).toBe('\uFEFFDay,Network,Account,Metric,Value')
    expect(csv).not.toContain('con_')
    expect(csv.split(/\r?\n/).length).toBeGreaterThan(10)
    await shot(page, '06-app-metrics')

    await page.setViewportSize({ width: 375, height: 812 })
    await page.goto(`${stack.baseUrl}/app?period=7`)
    await shot(page, '07-app-overview-phone')
    await context.close()
  })

  it('the owner ends another of their sessions', async () => {
    const laptop = await newPage('en')
    const phone = await newPage('en')
    await signIn(laptop.page, 'app', owner)
    await signIn(phone.page, 'app', owner)
    await laptop.page.goto(`${stack.baseUrl}/app/sessions`)
    const revoke = laptop.page.locator('#sessions button:has-text("End session")')
    expect(await revoke.count()).toBeGreaterThanOrEqual(1)
    await revoke.first().click()
    await laptop.page.waitForSelector('#sessions .alert.success')
    await shot(laptop.page, '08-app-sessions')
    // Whichever session was ended first: at least one other is gone, the laptop's stays.
    await phone.page.goto(`${stack.baseUrl}/app/team`)
    await laptop.page.goto(`${stack.baseUrl}/app/team`)
    expect(laptop.page.url()).toMatch(/\/app\/team$/)
    await laptop.context.close()
    await phone.context.close()
  })

  it('refuses a forged cross-site POST and shows another tenant’s object as not found', async () => {
    const { context, page } = await newPage('en', { expectFailures: true })
    await signIn(page, 'app', owner)
    await page.route('http://evil.test/**', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!DOCTYPE html><html><body><form method="post" action="${stack.baseUrl}/app/api-keys">
          <input type="hidden" name="name" value="stolen"><input type="hidden" name="role" value="admin">
          <input type="hidden" name="_csrf" value="${'A'.repeat(43)}">
          <button type="submit">Win a prize</button></form></body></html>`,
      }),
    )
    await page.goto('http://evil.test/')
    const [response] = await Promise.all([
      page.waitForResponse(`${stack.baseUrl}/app/api-keys`),
      page.click('button'),
    ])
    expect(response.status()).toBe(403)
    await page.waitForLoadState()
    await expect(page.locator('main').textContent()).resolves.toContain('sent from another site')
    await shot(page, '09-forged-post-403')
    await page.goto(`${stack.baseUrl}/app/api-keys`)
    await expect(page.locator('main').textContent()).resolves.not.toContain('stolen')

    // acme's connection id, read through the API as acme's owner, tried by another tenant's owner.
    const login = await fetch(`${stack.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ACME_OWNER),
    })
    const { access_token } = (await login.json()) as { access_token: string }
    const list = (await (
      await fetch(`${stack.baseUrl}/api/v1/connections`, {
        headers: { authorization: `Bearer ${access_token}` },
      })
    ).json()) as { data: { id: string }[] }
    const acmeConnection = list.data[0]?.id as string
    expect(acmeConnection).toMatch(/^con_/)
    const tampered = await page.goto(`${stack.baseUrl}/app/connections/${acmeConnection}`)
    expect(tampered?.status()).toBe(404)
    await expect(page.locator('h1').textContent()).resolves.toBe('Page not found')
    await shot(page, '10-tampered-url-404')
    await context.close()
  })

  it('the demo owner sees charts filled with demo data', async () => {
    const { context, page } = await newPage('pt-BR')
    await signIn(page, 'app', ACME_OWNER)
    for (let i = 0; i < 30 && (await page.locator('svg.chart').count()) === 0; i++) {
      await page.waitForTimeout(1_000)
      await page.reload()
    }
    expect(await page.locator('svg.chart').count()).toBeGreaterThan(1)
    await shot(page, '11-demo-overview')
    await context.close()
  })

  it('logged no console error on any page', () => {
    expect(consoleErrors).toEqual([])
  })
})
