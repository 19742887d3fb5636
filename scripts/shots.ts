/**
 * Screenshots of portal pages as people see them: each path at desktop (1280 px) and phone
 * (390 px) width, in Portuguese and English, signed in as a demo user. For looking at a page
 * before calling it done (README: "look at every page you change"), against a running
 * `npm run dev`:
 *
 *   npm run shots -- /app /app/metrics            (acme's owner)
 *   npm run shots -- --as operator /admin         (the operator)
 *   npm run shots -- --at '.charts' /app          (one part of the page, closer)
 *   npm run shots -- --public /book/acme          (no sign-in)
 *
 * Files go to test-results/shots/<path>-<width>-<locale>.png (git-ignored).
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { launchBrowser } from '../test/browser/browser.ts'

const USERS = {
  owner: { area: 'app', email: 'owner@acme.example', password: 'integra-owner-demo' },
  analyst: { area: 'app', email: 'analyst@acme.example', password: 'integra-analyst-demo' },
  operator: { area: 'admin', email: 'operator@integra.example', password: 'integra-operator-demo' },
} as const

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    as: { type: 'string', default: 'owner' },
    public: { type: 'boolean', default: false },
    base: { type: 'string', default: process.env.INTEGRA_URL ?? 'http://127.0.0.1:8787' },
    out: { type: 'string', default: 'test-results/shots' },
    // Only the first element matching this CSS selector, to look closely at one part of a page.
    at: { type: 'string' },
  },
})
if (positionals.length === 0) throw new Error('Name at least one path, e.g. npm run shots -- /app')
const user = USERS[values.as as keyof typeof USERS]
if (!user) throw new Error(`--as must be one of ${Object.keys(USERS).join(', ')}`)

const browser = await launchBrowser()
await fs.mkdir(values.out, { recursive: true })
try {
  for (const locale of ['pt-BR', 'en'] as const) {
    for (const width of [1280, 390]) {
      const context = await browser.newContext({
        viewport: { width, height: width > 800 ? 900 : 844 },
        locale,
        extraHTTPHeaders: { 'Accept-Language': locale },
      })
      const page = await context.newPage()
      if (!values.public) {
        await page.goto(`${values.base}/${user.area}/login`)
        await page.fill('input[name=email]', user.email)
        await page.fill('input[name=password]', user.password)
        await Promise.all([
          page.waitForURL((url) => !url.pathname.endsWith('/login')),
          page.click('form [type=submit]'),
        ])
        // A member's saved language wins over the browser's: save this pass's, as the page's own
        // language switcher does (with the CSRF token the page carries).
        const csrf = await page.locator('input[name=_csrf]').first().inputValue()
        await page.request.post(`${values.base}/${user.area}/language`, {
          form: { locale, _csrf: csrf },
          headers: { Origin: values.base },
        })
      }
      for (const target of positionals) {
        const response = await page.goto(`${values.base}${target}`, { waitUntil: 'networkidle' })
        // Capped: a path with a signed token in it (a manage link) is longer than a file name may be.
        const full = target.replace(/^\//, '').replace(/[^a-z0-9]+/gi, '-')
        const slug = full.length > 80 ? `${full.slice(0, 40)}-${full.slice(-39)}` : full
        const name = `${slug || 'root'}-${width}-${locale}.png`
        if (values.at)
          await page
            .locator(values.at)
            .first()
            .screenshot({ path: path.join(values.out, name) })
        else await page.screenshot({ path: path.join(values.out, name), fullPage: true })
        console.log(
          `${response?.status() ?? '?'} ${target} ${width}px ${locale} → ${path.join(values.out, name)}`,
        )
      }
      await context.close()
    }
  }
} finally {
  await browser.close()
}
