import { z } from 'zod'
import { CAMPAIGN_BUDGET_KINDS, CAMPAIGN_KINDS, CAMPAIGN_TARGETS } from '../../../db/schema/index.ts'
import { dateTimeField } from '../../dates.ts'
import type { App } from '../../env.ts'
import { idParam, snake } from '../../http.ts'
import { authenticate } from '../../middleware/authenticate.ts'
import { permit } from '../../middleware/permit.ts'
import { describe } from '../../openapi/registry.ts'
import {
  createCampaign,
  getCampaign,
  listCampaigns,
  updateCampaign,
} from '../../services/commerce/campaigns/campaigns.ts'
import { validate } from '../../validator.ts'
import { couponCode, prefixedId } from '../shop/fields.ts'

const cents = z.number().int().min(0).max(100_000_000)
const instant = dateTimeField.transform((value) => new Date(value))

export const campaignBody = z.object({
  name: z.string().trim().min(1).max(120),
  code: couponCode.nullable().optional().meta({ description: 'A coupon code; none: automatic.' }),
  target: z.enum(CAMPAIGN_TARGETS),
  kind: z.enum(CAMPAIGN_KINDS),
  value: z
    .number()
    .int()
    .min(1)
    .max(100_000_000)
    .meta({ description: 'Percent (1–100) for `percent`, centavos for `fixed`.' }),
  product_ids: z.array(prefixedId('prd')).max(100).optional(),
  category_ids: z.array(prefixedId('cat')).max(100).optional(),
  minimum_order_cents: cents.optional(),
  starts_at: instant.optional(),
  ends_at: instant.nullable().optional(),
  budget: z
    .object({ kind: z.enum(CAMPAIGN_BUDGET_KINDS), limit: z.number().int().min(1).max(100_000_000) })
    .nullable()
    .optional(),
  per_customer_limit: z.number().int().min(1).max(1000).nullable().optional(),
})

const updateBody = z
  .object({
    name: campaignBody.shape.name,
    value: campaignBody.shape.value,
    minimum_order_cents: cents,
    starts_at: instant,
    ends_at: instant.nullable(),
    budget_limit: z.number().int().min(1).max(100_000_000),
    per_customer_limit: z.number().int().min(1).max(1000).nullable(),
    end: z.literal(true).meta({ description: 'Ends the campaign now.' }),
  })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'send at least one field')

const campaignParam = idParam('cmp')
const commerce = { module: 'commerce' } as const

export function registerCommerceCampaigns(app: App) {
  const base = '/api/v1/commerce/campaigns'

  app.get(
    base,
    describe({
      summary: 'Campaigns and coupons with their results (orders, revenue, discount, budget left)',
    }),
    authenticate,
    permit('commerce.read', commerce),
    async (c) => c.json(snake(await c.var.caller.run((ctx) => listCampaigns(ctx), commerce))),
  )

  app.post(
    base,
    describe({
      summary: 'A campaign: automatic, or a coupon with a code unique per tenant whatever its case',
    }),
    authenticate,
    permit('commerce.campaigns.manage', commerce),
    validate('json', campaignBody),
    async (c) => {
      const body = c.req.valid('json')
      const campaign = await c.var.caller.run(
        (ctx) =>
          createCampaign(ctx, {
            name: body.name,
            code: body.code ?? null,
            target: body.target,
            kind: body.kind,
            value: body.value,
            productIds: body.product_ids,
            categoryIds: body.category_ids,
            minimumOrderCents: body.minimum_order_cents,
            startsAt: body.starts_at,
            endsAt: body.ends_at ?? null,
            budget: body.budget ?? null,
            perCustomerLimit: body.per_customer_limit ?? null,
          }),
        commerce,
      )
      return c.json(snake(campaign), 201)
    },
  )

  app.get(
    `${base}/:id`,
    describe({ summary: 'One campaign with its results' }),
    authenticate,
    permit('commerce.read', commerce),
    validate('param', campaignParam),
    async (c) =>
      c.json(snake(await c.var.caller.run((ctx) => getCampaign(ctx, c.req.valid('param').id), commerce))),
  )

  app.patch(
    `${base}/:id`,
    describe({ summary: 'Changes a campaign (name, value, period, budget, limits) or ends it now' }),
    authenticate,
    permit('commerce.campaigns.manage', commerce),
    validate('param', campaignParam),
    validate('json', updateBody),
    async (c) => {
      const body = c.req.valid('json')
      const input = {
        name: body.name,
        value: body.value,
        minimumOrderCents: body.minimum_order_cents,
        startsAt: body.starts_at,
        endsAt: body.ends_at,
        budgetLimit: body.budget_limit,
        perCustomerLimit: body.per_customer_limit,
        end: body.end,
      }
      const defined = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined))
      return c.json(
        snake(
          await c.var.caller.run((ctx) => updateCampaign(ctx, c.req.valid('param').id, defined), commerce),
        ),
      )
    },
  )
}
