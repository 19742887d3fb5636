import { jsxRenderer } from 'hono/jsx-renderer'
import { Providers, Shell } from '../../../portal/layouts/shell.tsx'
import type { PortalEnv } from '../../middleware/portal-env.ts'
import { isHtmx } from './run.ts'

declare module 'hono' {
  /** Every portal page names its title: `c.render(<Page/>, { title })`. */
  interface ContextRenderer {
    // biome-ignore lint/style/useShorthandFunctionType: Hono extends its renderer by interface merging.
    (content: string | Promise<string>, props: { title: string }): Response | Promise<Response>
  }
}

/**
 * `c.render(<Page/>, { title })`: the whole page for a normal request (server-rendered first
 * paint), only the page's content for an htmx request, whose `hx-select` picks the section it
 * swaps. Either way the language and CSRF token are provided to every component.
 */
export const portalRenderer = jsxRenderer<PortalEnv>(
  ({ children, title }, c) => {
    const i18n = c.get('i18n')
    const page = { csrfToken: c.get('csrfToken'), path: c.req.path }
    if (isHtmx(c)) {
      return (
        <Providers i18n={i18n} page={page}>
          {children}
        </Providers>
      )
    }
    return (
      <Shell i18n={i18n} page={page} title={title} viewer={c.get('viewer')}>
        {children}
      </Shell>
    )
  },
  (c) => ({ docType: !isHtmx(c) }),
)
