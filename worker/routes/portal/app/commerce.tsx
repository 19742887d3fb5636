import { z } from 'zod'
import { ORDER_STATUSES } from '../../../../db/schema/index.ts'
import {
  type BoardOrder,
  CommercePage,
  OPEN_STATUSES,
  type OrderDetail,
  OrderPage,
} from '../../../../portal/pages/app/commerce.tsx'
import { can } from '../../../auth/permissions.ts'
import { notFound } from '../../../errors.ts'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { memberTimeZone } from '../../../middleware/portal-locale.ts'
import {
  getOrder,
  listOrders,
  STAFF_TARGETS,
  staffMoves,
  transitionOrder,
} from '../../../services/commerce/orders.ts'
import { listStores } from '../../../services/commerce/stores.ts'
import type { ServiceContext } from '../../../services/context.ts'
import { formValues, one } from '../forms.ts'
import { changeThenBack, errorFromQuery, type PortalContext, portalRun, seeOther, signedIn } from '../run.ts'

const commerce = { module: 'commerce' } as const
const ORDER_ID = /^ord_[0-9a-z]{20}$/
/** More open orders than a store's team works at once; finished ones are paged through the filter. */
const BOARD_LIMIT = 200
const PAGE = 50

const movesFor = (ctx: ServiceContext, order: Pick<BoardOrder, 'status' | 'fulfilment'>) =>
  can(ctx.principal, 'commerce.fulfil') ? staffMoves(order.status, order.fulfilment) : []

const moveForm = z.object({
  to: z.enum(STAFF_TARGETS as [string, ...string[]]).transform((to) => to as (typeof STAFF_TARGETS)[number]),
  reason: z
    .string()
    .trim()
    .max(300)
    .transform((reason) => reason || null)
    .optional(),
  back: z.enum(['board', 'order']).default('order'),
})

const orderId = (c: PortalContext) => {
  const id = c.req.param('id') ?? ''
  if (!ORDER_ID.test(id)) throw notFound('order')
  return id
}

/**
 * The orders board (`/app/commerce`) and one order's page: the staff API's verbs (`listOrders`,
 * `getOrder`, `transitionOrder` through `moveOrder`) behind pages; a refused move (the order moved
 * meanwhile, a forged target) comes back as a message, never as a 500.
 */
export function registerPortalCommerce(portal: PortalApp) {
  portal.get('/app/commerce', signedIn('member'), async (c) => {
    const asked = z.enum(ORDER_STATUSES).safeParse(c.req.query('status'))
    const status = asked.success ? asked.data : null
    const cursor = c.req.query('cursor')
    const page = await portalRun(
      c,
      async (ctx) => {
        const found = await listOrders(
          ctx,
          status
            ? { status, limit: PAGE, ...(cursor ? { cursor } : {}) }
            : { statuses: OPEN_STATUSES, limit: BOARD_LIMIT },
        )
        return {
          nextCursor: status ? found.nextCursor : null,
          orders: found.data.map((order) => ({ ...order, moves: movesFor(ctx, order) })),
        }
      },
      commerce,
    )
    return c.render(
      <CommercePage
        status={status}
        orders={page.orders}
        nextHref={page.nextCursor ? `/app/commerce?status=${status}&cursor=${page.nextCursor}` : null}
        zone={memberTimeZone(c)}
        notice={c.req.query('done') === 'moved' ? 'commerce.moved' : undefined}
        error={errorFromQuery(c)}
      />,
      { title: c.var.i18n.t('commerce.title') },
    )
  })

  portal.get('/app/commerce/orders/:id', signedIn('member'), async (c) => {
    const id = orderId(c)
    const order: OrderDetail = await portalRun(
      c,
      async (ctx) => {
        const found = await getOrder(ctx, id)
        const stores = (await listStores(ctx)).data
        return {
          ...found,
          moves: movesFor(ctx, found),
          storeName: stores.length > 1 ? (stores.find((s) => s.id === found.storeId)?.name ?? null) : null,
        }
      },
      commerce,
    )
    return c.render(
      <OrderPage
        order={order}
        zone={memberTimeZone(c)}
        notice={c.req.query('done') === 'moved' ? 'commerce.moved' : undefined}
        error={errorFromQuery(c)}
      />,
      { title: c.var.i18n.t('commerce.orderCode', { code: order.code }) },
    )
  })

  /**
   * A move from the board or the order's page, through the same verb as the API. An unknown or
   * another tenant's order, a role without `commerce.fulfil` or a plan without the module is the
   * error page (404/403), as for any forged post; a move the order's status does not allow is
   * the page again with the reason.
   */
  portal.post('/app/commerce/orders/:id/status', signedIn('member'), async (c) => {
    const id = orderId(c)
    const values = await formValues(c)
    const form = moveForm.safeParse({
      to: one(values, 'to'),
      reason: one(values, 'reason'),
      back: one(values, 'back') || undefined,
    })
    const back = form.success && form.data.back === 'board' ? '/app/commerce' : `/app/commerce/orders/${id}`
    if (!form.success) return seeOther(c, `${back}?error=VALIDATION_FAILED`)
    const { to, reason } = form.data
    return changeThenBack(
      c,
      back,
      'moved',
      (ctx) => transitionOrder(ctx, id, { to, reason: reason ?? null }),
      commerce,
    )
  })
}
