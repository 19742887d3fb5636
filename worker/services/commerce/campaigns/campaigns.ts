import { and, eq, inArray, sql } from 'drizzle-orm'
import { onUniqueViolation } from '../../../../db/errors.ts'
import { newId } from '../../../../db/ids.ts'
import {
  type CampaignBudgetKind,
  type CampaignKind,
  type CampaignTarget,
  commerceCampaigns,
  commerceCategories,
  commerceProducts,
} from '../../../../db/schema/index.ts'
import { authorize } from '../../../auth/permissions.ts'
import { ApiError, invalidField, notFound } from '../../../errors.ts'
import { actorOf, writeAudit } from '../../audit.ts'
import type { ServiceContext } from '../../context.ts'

export type CampaignInput = {
  name: string
  code?: string | null
  target: CampaignTarget
  kind: CampaignKind
  value: number
  productIds?: string[]
  categoryIds?: string[]
  minimumOrderCents?: number
  startsAt?: Date
  endsAt?: Date | null
  budget?: { kind: CampaignBudgetKind; limit: number } | null
  perCustomerLimit?: number | null
}

/** What may change after creation: the code, target and kind stay (redemptions were made under them). */
export type CampaignUpdate = Partial<
  Pick<CampaignInput, 'name' | 'value' | 'minimumOrderCents' | 'startsAt' | 'endsAt' | 'perCustomerLimit'>
> & { budgetLimit?: number; end?: boolean }

const couponExists = () => new ApiError(409, 'COUPON_EXISTS', 'A campaign already uses this coupon code.')

/**
 * Each campaign with its results, in one statement: orders it discounted (active redemptions),
 * the revenue of those that were paid (paid onwards, not cancelled or refunded), the discount
 * given, and the budget left (null without a budget). Newest period first.
 */
function resultsQuery(tenantId: string, id?: string) {
  return sql`
    select c.id, c.name, c.code, c.target, c.kind, c.value, c.product_ids, c.category_ids,
      c.minimum_order_cents, c.starts_at, c.ends_at, c.budget_kind, c.budget_limit, c.budget_used,
      c.per_customer_limit, c.created_at,
      coalesce(r.orders, 0)::int as orders,
      coalesce(r.revenue_cents, 0)::bigint::text as revenue_cents,
      coalesce(r.discount_cents, 0)::bigint::text as discount_cents,
      case when c.budget_limit is null then null else c.budget_limit - c.budget_used end as remaining_budget
    from commerce_campaigns c
    left join lateral (
      select count(*) as orders,
        sum(o.total_cents) filter (where o.status not in ('pending_payment', 'cancelled', 'refunded')) as revenue_cents,
        sum(x.discount_cents) as discount_cents
      from commerce_campaign_redemptions x join commerce_orders o on o.id = x.order_id
      where x.campaign_id = c.id and x.tenant_id = ${tenantId} and x.status = 'active'
    ) r on true
    where c.tenant_id = ${tenantId} ${id ? sql`and c.id = ${id}` : sql``}
    order by c.starts_at desc, c.id desc`
}

type ResultRow = {
  id: string
  name: string
  code: string | null
  target: CampaignTarget
  kind: CampaignKind
  value: number
  product_ids: string[]
  category_ids: string[]
  minimum_order_cents: number
  starts_at: string | Date
  ends_at: string | Date | null
  budget_kind: CampaignBudgetKind | null
  budget_limit: number | null
  budget_used: number
  per_customer_limit: number | null
  created_at: string | Date
  orders: number
  revenue_cents: string
  discount_cents: string
  remaining_budget: number | null
}

/** A campaign as the API and the portal show it, with its state now and its results. */
function present(row: ResultRow, now: Date) {
  const startsAt = new Date(row.starts_at)
  const endsAt = row.ends_at === null ? null : new Date(row.ends_at)
  const state = startsAt > now ? 'scheduled' : endsAt && endsAt <= now ? 'ended' : 'running'
  return {
    id: row.id,
    name: row.name,
    code: row.code,
    state,
    target: row.target,
    kind: row.kind,
    value: row.value,
    productIds: row.product_ids,
    categoryIds: row.category_ids,
    minimumOrderCents: row.minimum_order_cents,
    startsAt,
    endsAt,
    budget: row.budget_kind
      ? { kind: row.budget_kind, limit: row.budget_limit as number, used: row.budget_used }
      : null,
    perCustomerLimit: row.per_customer_limit,
    results: {
      orders: row.orders,
      revenueCents: Number(row.revenue_cents),
      discountCents: Number(row.discount_cents),
      remainingBudget: row.remaining_budget,
    },
    createdAt: new Date(row.created_at),
  }
}

export type CampaignView = ReturnType<typeof present>

/** The tenant's campaigns with their results, newest period first (a tenant has tens, not thousands). */
export async function listCampaigns(ctx: ServiceContext) {
  authorize(ctx.principal, 'commerce.read')
  const rows = await ctx.tx.execute<ResultRow>(resultsQuery(ctx.principal.tenantId))
  return { data: rows.rows.map((row) => present(row, ctx.now)) }
}

export async function getCampaign(ctx: ServiceContext, id: string) {
  authorize(ctx.principal, 'commerce.read')
  const [row] = (await ctx.tx.execute<ResultRow>(resultsQuery(ctx.principal.tenantId, id))).rows
  if (!row) throw notFound('campaign')
  return present(row, ctx.now)
}

/** Products and categories a campaign names must be the tenant's: another's id reads as unknown. */
async function checkTargets(
  ctx: ServiceContext,
  tenantId: string,
  input: Pick<CampaignInput, 'productIds' | 'categoryIds'>,
) {
  const productIds = [...new Set(input.productIds ?? [])]
  const categoryIds = [...new Set(input.categoryIds ?? [])]
  if (productIds.length) {
    const found = await ctx.tx
      .select({ id: commerceProducts.id })
      .from(commerceProducts)
      .where(and(eq(commerceProducts.tenantId, tenantId), inArray(commerceProducts.id, productIds)))
    if (found.length !== productIds.length) throw invalidField('json.product_ids', 'unknown product')
  }
  if (categoryIds.length) {
    const found = await ctx.tx
      .select({ id: commerceCategories.id })
      .from(commerceCategories)
      .where(and(eq(commerceCategories.tenantId, tenantId), inArray(commerceCategories.id, categoryIds)))
    if (found.length !== categoryIds.length) throw invalidField('json.category_ids', 'unknown category')
  }
  return { productIds, categoryIds }
}

export async function createCampaign(ctx: ServiceContext, input: CampaignInput) {
  authorize(ctx.principal, 'commerce.campaigns.manage')
  const tenantId = ctx.principal.tenantId
  const targets = await checkTargets(ctx, tenantId, input)
  if (input.target === 'items' && targets.productIds.length + targets.categoryIds.length === 0)
    throw invalidField('json.product_ids', 'an items campaign names products or categories')
  if (input.kind === 'percent' && input.value > 100) throw invalidField('json.value', 'at most 100 percent')
  const startsAt = input.startsAt ?? ctx.now
  if (input.endsAt && input.endsAt <= startsAt) throw invalidField('json.ends_at', 'must be after starts_at')
  const id = newId('cmp')
  await ctx.tx
    .insert(commerceCampaigns)
    .values({
      id,
      tenantId,
      name: input.name,
      code: input.code ?? null,
      target: input.target,
      kind: input.kind,
      value: input.value,
      ...targets,
      minimumOrderCents: input.minimumOrderCents ?? 0,
      startsAt,
      endsAt: input.endsAt ?? null,
      budgetKind: input.budget?.kind ?? null,
      budgetLimit: input.budget?.limit ?? null,
      perCustomerLimit: input.perCustomerLimit ?? null,
    })
    .catch(onUniqueViolation({ commerce_campaigns_code_key: couponExists }))
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: 'commerce.campaign_created',
    tenantId,
    target: { type: 'campaign', id },
    data: {
      name: input.name,
      code: input.code ?? null,
      target: input.target,
      kind: input.kind,
      value: input.value,
    },
  })
  return getCampaign(ctx, id)
}

/**
 * Changes a campaign, or ends it now (`end`). The budget's limit may not go below what was
 * already used: the statement's condition refuses it (409), so a checkout racing the edit
 * cannot slip past the new limit either.
 */
export async function updateCampaign(ctx: ServiceContext, id: string, input: CampaignUpdate) {
  authorize(ctx.principal, 'commerce.campaigns.manage')
  const tenantId = ctx.principal.tenantId
  const current = await getCampaign(ctx, id)
  if (input.budgetLimit !== undefined && !current.budget)
    throw invalidField('json.budget_limit', 'this campaign has no budget')
  if (current.kind === 'percent' && input.value !== undefined && input.value > 100)
    throw invalidField('json.value', 'at most 100 percent')
  const startsAt = input.startsAt ?? current.startsAt
  const endsAt = input.end ? ctx.now : input.endsAt === undefined ? current.endsAt : input.endsAt
  if (endsAt && endsAt <= startsAt)
    throw invalidField(input.end ? 'json.end' : 'json.ends_at', 'must be after starts_at')
  const { end: _, budgetLimit, ...rest } = input
  const changed = await ctx.tx
    .update(commerceCampaigns)
    .set({
      ...rest,
      startsAt,
      endsAt,
      ...(budgetLimit !== undefined ? { budgetLimit } : {}),
      updatedAt: ctx.now,
    })
    .where(
      and(
        eq(commerceCampaigns.id, id),
        eq(commerceCampaigns.tenantId, tenantId),
        budgetLimit !== undefined ? sql`${commerceCampaigns.budgetUsed} <= ${budgetLimit}` : undefined,
      ),
    )
    .returning({ id: commerceCampaigns.id })
  if (changed.length === 0)
    throw new ApiError(409, 'CAMPAIGN_EXHAUSTED', 'The budget cannot be set below what was already used.', {
      details: { campaign_id: id, reason: 'budget' },
    })
  await writeAudit(ctx.tx, actorOf(ctx.principal), ctx.meta, {
    action: input.end ? 'commerce.campaign_ended' : 'commerce.campaign_updated',
    tenantId,
    target: { type: 'campaign', id },
    data: { changed: Object.keys(input) },
  })
  return getCampaign(ctx, id)
}

/** For the portal's pickers: the tenant's products and categories by name. */
export async function campaignTargets(ctx: ServiceContext) {
  authorize(ctx.principal, 'commerce.read')
  const tenantId = ctx.principal.tenantId
  const [products, categories] = [
    await ctx.tx
      .select({ id: commerceProducts.id, name: commerceProducts.name })
      .from(commerceProducts)
      .where(eq(commerceProducts.tenantId, tenantId))
      .orderBy(commerceProducts.name),
    await ctx.tx
      .select({ id: commerceCategories.id, name: commerceCategories.name })
      .from(commerceCategories)
      .where(eq(commerceCategories.tenantId, tenantId))
      .orderBy(commerceCategories.name),
  ]
  return { products, categories }
}
