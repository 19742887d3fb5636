import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { z } from 'zod'
import type { CartLineInput } from '../../services/commerce/cart.ts'

/**
 * The storefront page's cart lives in the visitor's browser: one cookie per shop (path
 * `/shop/<slug>`) holding the store and its lines (product, quantity, options). It is only a
 * list of wishes: every page prices it again from the database (`priceLines`, the same code as
 * the checkout), so a forged cookie can name nothing the server would not sell at its own price.
 * No table, no session, nothing to expire on the server; a cookie for another store is ignored.
 */
export type CookieCart = { store: string; items: CartLineInput[] }

const COOKIE = 'shop_cart'
/** Lines in one cart: keeps the cookie far below the browsers' 4 KB. */
export const MAX_LINES = 20
const ID = /^[a-z]{3}_[0-9a-z]{20}$/

const stored = z.object({
  store: z.string().regex(ID),
  items: z
    .array(
      z.object({
        p: z.string().regex(ID),
        q: z.number().int().min(1).max(99),
        o: z.array(z.string().regex(ID)).max(30),
      }),
    )
    .max(MAX_LINES),
})

function decode(value: string | undefined): CookieCart | null {
  if (!value) return null
  try {
    const json = atob(value.replace(/-/g, '+').replace(/_/g, '/'))
    const parsed = stored.safeParse(JSON.parse(json))
    if (!parsed.success) return null
    return {
      store: parsed.data.store,
      items: parsed.data.items.map((i) => ({ productId: i.p, quantity: i.q, optionIds: i.o })),
    }
  } catch {
    return null
  }
}

/** The visitor's cart at `storeId` (empty when the cookie is missing, broken or another store's). */
export function readCart(c: Context, storeId: string): CartLineInput[] {
  const cart = decode(getCookie(c, COOKIE))
  return cart?.store === storeId ? cart.items : []
}

export function writeCart(c: Context, slug: string, storeId: string, items: CartLineInput[]): void {
  const json = JSON.stringify({
    store: storeId,
    items: items.map((i) => ({ p: i.productId, q: i.quantity, o: i.optionIds })),
  })
  const value = btoa(json).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  setCookie(c, COOKIE, value, {
    path: `/shop/${slug}`,
    httpOnly: true,
    secure: true,
    sameSite: 'Lax',
    maxAge: 7 * 24 * 3600,
  })
}

export function clearCart(c: Context, slug: string): void {
  deleteCookie(c, COOKIE, { path: `/shop/${slug}` })
}
