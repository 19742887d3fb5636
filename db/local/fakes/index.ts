import { Hono } from 'hono'
import { fakeFacebook } from './facebook.ts'
import { fakeNominatim, fakeViaCep } from './geocoding.ts'
import { fakeIcal } from './ical.ts'
import { fakeInstagram } from './instagram.ts'
import { fakeMercadoPago } from './mercadopago.ts'
import { fakeMetaWebhooks } from './meta-webhooks.ts'
import { fakeOAuth } from './oauth.ts'
import { fakeResend } from './resend.ts'
import { type Scenario, state } from './state.ts'
import { fakeTelegram } from './telegram.ts'
import { fakeTikTok } from './tiktok.ts'
import { fakeWhatsapp } from './whatsapp.ts'
import { fakeX } from './x.ts'

/**
 * Fakes of the platform APIs the connectors use, one sub-app per platform mounted at
 * `/<platform>`; the Worker's per-platform base URLs point here in dev and tests.
 */
export const fakePlatforms = new Hono()

// First: the OAuth endpoints share paths with the platforms' fakes and pass other grants on to them.
fakePlatforms.route('/', fakeOAuth)
fakePlatforms.route('/instagram', fakeInstagram)
fakePlatforms.route('/x', fakeX)
fakePlatforms.route('/tiktok', fakeTikTok)
fakePlatforms.route('/facebook', fakeFacebook)
fakePlatforms.route('/whatsapp', fakeWhatsapp)
// The calendar module's outside world: channels' iCal hosts and the Telegram Bot API.
fakePlatforms.route('/ical', fakeIcal)
fakePlatforms.route('/telegram', fakeTelegram)
// Outbound e-mail of the messaging outbox (Resend's HTTP API), with a dev mailbox page.
fakePlatforms.route('/resend', fakeResend)
// Meta as the sender of webhooks (signed deliveries to a tenant's webhook address).
fakePlatforms.route('/meta', fakeMetaWebhooks)
// Commerce's payment provider (PIX through Mercado Pago's Payments API).
fakePlatforms.route('/mercadopago', fakeMercadoPago)
// Commerce's geocoding port: CEP → address (ViaCEP) and → point (Nominatim).
fakePlatforms.route('/viacep', fakeViaCep)
fakePlatforms.route('/nominatim', fakeNominatim)

fakePlatforms.post('/__control/revoke', async (c) => {
  const { token } = (await c.req.json()) as { token: string }
  state.revokedTokens.add(token)
  return c.json({ ok: true })
})

fakePlatforms.post('/__control/scenario', async (c) => {
  const { account, scenario } = (await c.req.json()) as { account: string; scenario: Scenario | null }
  if (scenario) state.scenarios.set(account, scenario)
  else state.scenarios.delete(account)
  return c.json({ ok: true })
})

fakePlatforms.get('/__control/requests', (c) => {
  const platform = c.req.query('platform')
  return c.json({ requests: state.requests.filter((r) => !platform || r.platform === platform) })
})

/**
 * For people driving `npm run dev` by hand. Tests never call it: one fake serves every test file
 * running in parallel, so a reset would wipe another file's scenario or revoked token mid-test.
 * Tests use accounts and tokens of their own instead (see `uniqueAccount` in test/helpers).
 */
fakePlatforms.post('/__control/reset', (c) => {
  state.revokedTokens.clear()
  state.scenarios.clear()
  state.requests.length = 0
  return c.json({ ok: true })
})
