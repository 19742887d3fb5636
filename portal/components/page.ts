import { createContext, useContext } from 'hono/jsx'

/** What forms and links of a page need besides the language: the CSRF token and where we are. */
export type PageInfo = { csrfToken: string; path: string }

export const PageContext = createContext<PageInfo>({ csrfToken: '', path: '/' })

export const usePage = () => useContext(PageContext)
