import { beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../helpers/env.ts'
import { createMember, createOperator, createTenant } from '../helpers/fixtures.ts'
import { portalClient, textOf } from '../helpers/portal.ts'
import { callWorker } from '../helpers/worker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase()
})

const cookieLine = (response: Response, name: string) =>
  response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`)) ?? ''

describe('portal sign-in', () => {
  it('serves the login page as HTML with a CSRF cookie and the security headers', async () => {
    const response = await callWorker(db.env, '/app/login')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/html')
    const csp = response.headers.get('content-security-policy') ?? ''
    for (const directive of [
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "script-src 'self'",
    ])
      expect(csp).toContain(directive)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const csrf = cookieLine(response, '__Host-csrf')
    expect(csrf).toMatch(/; Path=\//)
    expect(csrf).toMatch(/; HttpOnly/)
    expect(csrf).toMatch(/; Secure/)
    expect(csrf).not.toMatch(/Domain=/i)
    const html = await response.text()
    expect(html).toMatch(/^<!DOCTYPE html>/)
    expect(html).toContain('action="/app/login"')
    expect(html).toContain('name="_csrf"')
    expect(html).not.toMatch(/<script(?![^>]*src=)/)
    expect(html).not.toMatch(/ style=/)
  })

  it('signs a member in with a __Host- session cookie (HttpOnly, Secure, SameSite=Lax, Path=/)', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const client = portalClient(db)
    const response = await client.login(owner.email)
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/app')
    const session = cookieLine(response, '__Host-session')
    expect(session).toMatch(/^__Host-session=[\w-]+\.[\w-]+\.[\w-]{43};/)
    expect(session).toMatch(/; Path=\//)
    expect(session).toMatch(/; HttpOnly/)
    expect(session).toMatch(/; Secure/)
    expect(session).toMatch(/; SameSite=Lax/)
    expect(session).not.toMatch(/Domain=/i)
    // The same server-side session as the API's: one live row for this member, opened by login.
    const rows = await db.owner<{ principal: string; revoked_at: Date | null }>(
      'select principal, revoked_at from sessions where user_id = $1',
      [owner.id],
    )
    expect(rows).toEqual([{ principal: 'member', revoked_at: null }])
    // A new CSRF token at sign-in.
    expect(cookieLine(response, '__Host-csrf')).not.toBe('')
    const page = await client.request('/app/team')
    expect(page.status).toBe(200)
    expect(textOf(await page.text())).toContain(owner.email)
  })

  it('answers a wrong password inline, in the form, with 401 and no cookie', async () => {
    const client = portalClient(db, { acceptLanguage: 'en' })
    await client.request('/app/login')
    const response = await client.request('/app/login', {
      form: { email: 'nobody@example.test', password: 'not the password' },
    })
    expect(response.status).toBe(401)
    expect(cookieLine(response, '__Host-session')).toBe('')
    const html = await response.text()
    expect(html).toContain('E-mail or password is incorrect.')
    expect(html).toContain('value="nobody@example.test"')
    expect(html).not.toContain('INVALID_CREDENTIALS')
  })

  it('sends operators to /admin and members to /app whichever form they used', async () => {
    const operator = await createOperator(db)
    const client = portalClient(db)
    const response = await client.login(operator.email, 'app')
    expect(response.headers.get('location')).toBe('/admin')
    const member = await client.request('/app/team')
    expect(member.status).toBe(303)
    expect(member.headers.get('location')).toBe('/admin')
  })

  it('redirects a visitor without a session to the login, remembering the page', async () => {
    const response = await callWorker(db.env, '/app/connections?done=x')
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/app/login?next=%2Fapp%2Fconnections%3Fdone%3Dx')
  })

  it('follows only portal paths after sign-in (no open redirect)', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    for (const [next, expected] of [
      ['/app/team', '/app/team'],
      ['https://evil.example/', '/app'],
      ['//evil.example/app', '/app'],
      ['/api/v1/auth/me', '/app'],
    ]) {
      const client = portalClient(db)
      await client.request('/app/login')
      const response = await client.request('/app/login', {
        form: { email: owner.email, password: 'correct horse battery staple', next: next as string },
      })
      expect(response.headers.get('location')).toBe(expected)
    }
  })

  it('ends the session at sign-out: the same cookie is refused afterwards', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const client = portalClient(db)
    await client.login(owner.email)
    const cookie = client.jar.get('__Host-session') as string
    const out = await client.request('/app/logout', { form: {} })
    expect(out.status).toBe(303)
    expect(out.headers.get('location')).toBe('/app/login?signed_out=1')
    expect(cookieLine(out, '__Host-session')).toMatch(/Max-Age=0/)
    const replay = await callWorker(db.env, '/app/team', { headers: { cookie: `__Host-session=${cookie}` } })
    expect(replay.status).toBe(303)
    expect(replay.headers.get('location')).toContain('/app/login')
  })

  it('refuses a forged or tampered session cookie', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const client = portalClient(db)
    await client.login(owner.email)
    const [kid, payload, signature] = (client.jar.get('__Host-session') as string).split('.')
    const claims = JSON.parse(atob((payload as string).replaceAll('-', '+').replaceAll('_', '/')))
    const other = await createTenant(db)
    const forged = btoa(JSON.stringify({ ...claims, tid: other.tenantId }))
      .replaceAll('+', '-')
      .replaceAll('/', '_')
      .replace(/=+$/, '')
    for (const value of [`${kid}.${forged}.${signature}`, `${kid}.${payload}.${'A'.repeat(43)}`, 'garbage']) {
      const response = await callWorker(db.env, '/app/team', {
        headers: { cookie: `__Host-session=${value}` },
      })
      expect(response.status).toBe(303)
    }
  })
})

describe('CSRF', () => {
  it('refuses a cross-site POST to the login form with a friendly 403 page', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const client = portalClient(db, { acceptLanguage: 'en' })
    await client.request('/app/login')
    const response = await client.request('/app/login', {
      form: { email: owner.email, password: 'correct horse battery staple' },
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    })
    expect(response.status).toBe(403)
    expect(response.headers.get('content-type')).toContain('text/html')
    const html = await response.text()
    expect(html).toContain('sent from another site')
    expect(html).not.toContain('"error"')
    expect(cookieLine(response, '__Host-session')).toBe('')
  })

  it('refuses a POST without the token, with a wrong token, or from another origin', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const client = portalClient(db)
    await client.login(owner.email)
    const attempts = [
      client.request('/app/api-keys', { form: { name: 'x', role: 'viewer' }, withoutToken: true }),
      client.request('/app/api-keys', {
        form: { name: 'x', role: 'viewer', _csrf: 'A'.repeat(43) },
        withoutToken: true,
      }),
      client.request('/app/api-keys', {
        form: { name: 'x', role: 'viewer' },
        headers: { origin: 'https://evil.example' },
      }),
      client.request('/app/api-keys', {
        form: { name: 'x', role: 'viewer' },
        headers: { 'sec-fetch-site': 'same-site' },
      }),
    ]
    for (const response of await Promise.all(attempts)) expect(response.status).toBe(403)
    const [keys] = await db.owner<{ n: number }>(
      'select count(*)::int as n from api_keys where tenant_id = $1',
      [tenant.tenantId],
    )
    expect(keys?.n).toBe(0)
    const ok = await client.request('/app/api-keys', { form: { name: 'x', role: 'viewer' } })
    expect(ok.status).toBe(201)
  })

  it('accepts the token in the X-CSRF-Token header (htmx requests)', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const client = portalClient(db)
    await client.login(owner.email)
    const response = await client.request('/app/api-keys', {
      form: { name: 'y', role: 'viewer' },
      withoutToken: true,
      headers: { 'x-csrf-token': client.jar.get('__Host-csrf') as string, 'hx-request': 'true' },
    })
    expect(response.status).toBe(201)
    const html = await response.text()
    expect(html).not.toMatch(/^<!DOCTYPE/)
    expect(html).toContain('id="api-keys"')
  })
})

describe('HTML error negotiation', () => {
  it('answers unknown portal paths with a 404 page, API paths with the JSON envelope', async () => {
    const page = await callWorker(db.env, '/app/no-such-page', { headers: { 'accept-language': 'en' } })
    expect(page.status).toBe(404)
    expect(page.headers.get('content-type')).toContain('text/html')
    const html = await page.text()
    expect(html).toContain('<html lang="en">')
    expect(html).toContain('Page not found')
    expect(html).toContain(page.headers.get('x-request-id'))
    const api = await callWorker(db.env, '/api/v1/no-such-thing')
    expect(api.status).toBe(404)
    expect(api.headers.get('content-type')).toContain('application/json')
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND')
  })

  it('shows another tenant’s connection id as the same 404 page as an unknown one', async () => {
    const [mine, theirs] = [await createTenant(db), await createTenant(db)]
    const owner = await createMember(db, mine.tenantId, 'owner')
    await db.owner(
      `insert into connections (id, tenant_id, platform, external_account_id, created_by, backfill_total_days)
       values ('con_0000000000000000abcd', $1, 'instagram', '178414000000999', 'usr_x', 90)`,
      [theirs.tenantId],
    )
    const client = portalClient(db)
    await client.login(owner.email)
    const response = await client.request('/app/connections/con_0000000000000000abcd')
    expect(response.status).toBe(404)
    expect(await response.text()).toContain('id="error-title"')
  })

  it('shows a 403 page when the role does not allow a page', async () => {
    const tenant = await createTenant(db)
    const viewer = await createMember(db, tenant.tenantId, 'viewer')
    const client = portalClient(db, { acceptLanguage: 'en' })
    await client.login(viewer.email)
    const response = await client.request('/app/team')
    expect(response.status).toBe(403)
    expect(textOf(await response.text())).toContain('Your role does not allow this.')
  })
})

describe('language', () => {
  it('follows Accept-Language, then the lang cookie, then the member’s saved preference', async () => {
    const en = await callWorker(db.env, '/app/login', { headers: { 'accept-language': 'en-US,en;q=0.9' } })
    expect(await en.text()).toContain('<html lang="en">')
    const pt = await callWorker(db.env, '/app/login', {
      headers: { 'accept-language': 'pt-PT,pt;q=0.9,en;q=0.5' },
    })
    const ptHtml = await pt.text()
    expect(ptHtml).toContain('<html lang="pt-BR">')
    expect(ptHtml).toContain('Entrar na Integra')
    const fallback = await callWorker(db.env, '/app/login', { headers: { 'accept-language': 'de-DE' } })
    expect(await fallback.text()).toContain('<html lang="pt-BR">')
    const cookie = await callWorker(db.env, '/app/login', {
      headers: { 'accept-language': 'pt-BR', cookie: 'lang=en' },
    })
    expect(await cookie.text()).toContain('<html lang="en">')

    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    const client = portalClient(db, { acceptLanguage: 'pt-BR' })
    await client.login(owner.email)
    const switched = await client.request('/app/language', { form: { locale: 'en', back: '/app/team' } })
    expect(switched.status).toBe(303)
    expect(switched.headers.get('location')).toBe('/app/team')
    const [row] = await db.owner<{ locale: string }>('select locale from users where id = $1', [owner.id])
    expect(row?.locale).toBe('en')
    // The saved preference wins over the browser and over a stale cookie.
    client.jar.set('lang', 'pt-BR')
    const page = await client.request('/app/team')
    const html = await page.text()
    expect(html).toContain('<html lang="en">')
    expect(html).toContain('Members')
    const audit = await db.owner<{ action: string }>(
      "select action from audit_log where target_id = $1 and action = 'user.locale_changed'",
      [owner.id],
    )
    expect(audit).toHaveLength(1)
  })

  it('formats dates and numbers for the page’s language', async () => {
    const tenant = await createTenant(db)
    const owner = await createMember(db, tenant.tenantId, 'owner')
    await db.owner("update users set last_login_at = '2026-03-04T05:06:00Z' where id = $1", [owner.id])
    const viewer = await createMember(db, tenant.tenantId, 'viewer')
    await db.owner("update users set last_login_at = '2026-03-04T05:06:00Z' where id = $1", [viewer.id])
    const client = portalClient(db, { acceptLanguage: 'en' })
    await client.login(owner.email)
    expect(textOf(await (await client.request('/app/team')).text())).toContain('Mar 4, 2026')
    await client.request('/app/language', { form: { locale: 'pt-BR', back: '/app/team' } })
    expect(textOf(await (await client.request('/app/team')).text())).toContain('4 de mar. de 2026')
  })
})
