import fs from 'node:fs/promises'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { localDevSecrets } from '../../db/local/seed.ts'
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
})

afterAll(async () => {
  await browser?.close()
  await (await starting?.catch(() => undefined))?.stop()
})

const overflowOf = (page: Page) =>
  page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')

describe('the storefront on a phone', () => {
  it('buys from acme’s demo store at 390 px, pays the PIX through the fake and sees the tracking page follow', async () => {
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
    const shot = async (name: string) => {
      await page.screenshot({ path: path.join(SHOTS, `shop-${name}-390.png`), fullPage: true })
      expect(await overflowOf(page)).toBeLessThanOrEqual(0)
    }
    await page.goto(`${stack.baseUrl}/shop/acme`)
    await page.getByRole('heading', { name: 'Acme Café Paulista' }).waitFor()
    await shot('1-catalog')
    await page.getByRole('link', { name: /Cappuccino/ }).click()
    await page.getByRole('heading', { name: 'Cappuccino' }).waitFor()
    await page.getByLabel(/Vegetal/).check()
    await shot('2-product')
    await page.getByRole('button', { name: 'Adicionar ao carrinho' }).click()
    await page.getByText('Adicionado ao carrinho.').waitFor()
    await page.getByRole('link', { name: /Pão de queijo/ }).click()
    await page.getByRole('button', { name: 'Adicionar ao carrinho' }).click()
    await page.getByRole('link', { name: /Ver carrinho \(2 itens\)/ }).click()
    await page.getByRole('heading', { name: 'Seu carrinho' }).waitFor()
    await page.getByLabel('Entrega', { exact: true }).check()
    await page.fill('input[name=name]', 'Cliente Teste')
    await page.fill('input[name=phone]', '(11) 91234-0000')
    await page.fill('input[name=cep]', '01305-000')
    await page.fill('input[name=number]', '500')
    await shot('3-cart')
    await page.getByRole('button', { name: 'Revisar pedido' }).click()
    await page.getByRole('heading', { name: 'Revise seu pedido' }).waitFor()
    // Cappuccino 12 + vegetal 3, pão de queijo 15, delivery R$ 5 (Rua Augusta, 1.1 km), less the
    // demo's automatic 10 % off drinks on the cappuccino (R$ 1,50).
    await page.getByText('Desconto: Semana do café').waitFor()
    await page.getByRole('button', { name: /Pagar R\$\s33,50 com PIX/ }).waitFor()
    await shot('4-review')
    await page.getByRole('button', { name: /Pagar R\$\s33,50 com PIX/ }).click()
    await page.getByText('Aguardando pagamento').first().waitFor()
    expect(await page.locator('#pix-code').inputValue()).toMatch(/^00020126/)
    await shot('5-pix')

    const orderId = /order\/(ord_[0-9a-z]{20})/.exec(page.url())?.[1]
    const secrets = await localDevSecrets()
    const paid = await fetch(`${stack.fakesUrl}/mercadopago/__control/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        external_reference: orderId,
        url: `${stack.baseUrl}/webhooks/payments/acme`,
        secret: secrets.PAYMENTS_WEBHOOK_SECRETS,
      }),
    })
    expect(await paid.json()).toEqual({ status: 200 })
    // The page polls its status every 5 s: the payment shows without a reload.
    await page.locator('#tracking .badge', { hasText: 'Pago' }).waitFor({ timeout: 15_000 })
    expect(await page.locator('#pix-code').count()).toBe(0)
    await shot('6-paid')
    expect(errors).toEqual([])
    await context.close()

    // The same catalog and tracking page at the other width and language.
    const tracking = page.url().replace('&new=1', '')
    for (const [lang, width] of [
      ['en', 390],
      ['en', 1280],
      ['pt-BR', 1280],
    ] as const) {
      const other = await browser.newContext({ locale: lang, viewport: { width, height: 900 } })
      const view = await other.newPage()
      for (const [name, url] of [
        ['catalog', `${stack.baseUrl}/shop/acme?lang=${lang}`],
        ['tracking', `${tracking}&lang=${lang}`],
      ] as const) {
        await view.goto(url)
        await view.screenshot({ path: path.join(SHOTS, `shop-${name}-${lang}-${width}.png`), fullPage: true })
        expect(await overflowOf(view)).toBeLessThanOrEqual(0)
      }
      await other.close()
    }
  })
})
