import fs from 'node:fs/promises'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser } from './browser.ts'
import { type LocalStack, startLocalStack } from './stack.ts'

const SHOTS = path.resolve(import.meta.dirname, '../../test-results/screenshots')

let stack: LocalStack
let starting: Promise<LocalStack> | undefined
let browser: Browser

beforeAll(async () => {
  await fs.mkdir(SHOTS, { recursive: true })
  // The browser first: without one the suite fails in seconds, before the stack starts.
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

describe('/api/docs in a real browser', () => {
  it('renders the generated reference from our own assets, under its CSP, calling no other host', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    const problems: string[] = []
    const origin = new URL(stack.baseUrl).origin
    page.on('request', (request) => {
      const url = new URL(request.url())
      if (url.origin !== origin && url.protocol !== 'data:') problems.push(`request to ${request.url()}`)
    })
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    page.on('console', (message) => {
      // zod inside Scalar probes whether eval works (`try { Function('') } catch {}`) and, refused by
      // the CSP as it should be, runs without it: the one violation expected, and wanted.
      if (message.type() === 'error' && message.text() !== 'CSP violation: script-src eval')
        problems.push(`console: ${message.text()}`)
    })
    // Before any page script: every CSP violation is reported, whatever Chromium logs.
    // (Page code as text: this file is type-checked for Node, without the DOM types.)
    await page.addInitScript({
      content: `document.addEventListener('securitypolicyviolation', (event) =>
        console.error('CSP violation: ' + event.violatedDirective + ' ' + event.blockedURI))`,
    })

    await page.goto(`${stack.baseUrl}/api/docs`)
    await page.getByRole('heading', { name: 'Integra API' }).first().waitFor()
    await page.screenshot({ path: path.join(SHOTS, 'api-docs.png') })
    // Described operations by their summaries: sign-in in the first tag (open), then the metrics tag.
    await page.getByText('Sign in with e-mail and password').first().waitFor()
    await page.getByText('metrics', { exact: true }).first().click()
    await page.getByText('Chart-ready series, with an optional previous-period comparison').first().waitFor()
    await page.screenshot({ path: path.join(SHOTS, 'api-docs-metrics.png') })

    // The reference's client calls the API on the same origin: the public document itself.
    const fromPage = await page.evaluate(async () => {
      const response = await fetch('/api/v1/openapi.json')
      return { status: response.status, openapi: ((await response.json()) as { openapi: string }).openapi }
    })
    expect(fromPage).toEqual({ status: 200, openapi: expect.stringMatching(/^3\.1\./) })
    expect(problems).toEqual([])
    await context.close()
  })
})
