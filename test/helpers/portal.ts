import type { TestDatabase } from './env.ts'
import { PASSWORD } from './fixtures.ts'
import { callWorker, TEST_ORIGIN } from './worker.ts'

type PortalInit = {
  method?: string
  form?: Record<string, string | string[]>
  headers?: Record<string, string>
  /** Leave the CSRF token out of the form (it is added from the cookie jar by default). */
  withoutToken?: boolean
  /** Where Cloudflare locates the request (`request.cf`), e.g. `{ timezone: 'America/Chicago' }`. */
  cf?: Record<string, unknown>
}

/**
 * A browser-like client of the portals: a cookie jar, same-origin `Origin` and `Sec-Fetch-Site`
 * on posts, the CSRF token copied from its cookie into every form, and no redirect following
 * (tests look at the 303s themselves).
 */
export function portalClient(db: TestDatabase, options: { acceptLanguage?: string } = {}) {
  const jar = new Map<string, string>()
  const remember = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      if (/max-age=0/i.test(line) || value === '') jar.delete(name)
      else jar.set(name, value)
    }
    return response
  }
  const request = async (path: string, init: PortalInit = {}) => {
    const method = init.method ?? (init.form ? 'POST' : 'GET')
    const headers = new Headers(init.headers)
    if (jar.size > 0) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '))
    if (options.acceptLanguage && !headers.has('accept-language'))
      headers.set('accept-language', options.acceptLanguage)
    let body: string | undefined
    if (init.form) {
      const params = new URLSearchParams()
      for (const [name, value] of Object.entries(init.form))
        for (const v of [value].flat()) params.append(name, v)
      if (!init.withoutToken && jar.has('__Host-csrf')) params.set('_csrf', jar.get('__Host-csrf') as string)
      body = params.toString()
      headers.set('content-type', 'application/x-www-form-urlencoded')
    }
    if (method !== 'GET') {
      if (!headers.has('origin')) headers.set('origin', TEST_ORIGIN)
      if (!headers.has('sec-fetch-site')) headers.set('sec-fetch-site', 'same-origin')
    }
    return remember(await callWorker(db.env, path, { method, headers, body, cf: init.cf } as RequestInit))
  }
  return {
    jar,
    request,
    /** Opens the login page (for the CSRF cookie), then signs in; returns the login answer. */
    async login(email: string, area: 'app' | 'admin' = 'app', password = PASSWORD) {
      await request(`/${area}/login`)
      return request(`/${area}/login`, { form: { email, password } })
    },
  }
}

/** The text of a page without tags, for "the page says …" assertions. */
export const textOf = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ')
