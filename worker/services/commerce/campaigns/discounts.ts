import { and, eq, inArray, isNull, or, sql } from 'drizzle-orm'
import { newId } from '../../../../db/ids.ts'
import {
  type CampaignTarget,
  commerceCampaignRedemptions,
  commerceCampaigns,
  commerceProducts,
} from '../../../../db/schema/index.ts'
import { ApiError } from '../../../errors.ts'
import type { Quote } from '../cart.ts'
import type { CommerceScope } from '../storefront.ts'

type Campaign = typeof commerceCampaigns.$inferSelect

/** A discount applied to a quote, as the customer sees it and the checkout records it. */
export type Discount = {
  campaignId: string
  name: string
  /** The coupon's code as the customer typed it, or null for an automatic campaign. */
  code: string | null
  target: CampaignTarget
  amountCents: number
}

export type DiscountedQuote = Quote & { discounts: Discount[]; discountCents: number }

/** What a quote's lines and amounts offer a campaign to discount. */
type Bases = {
  items: number
  shipping: number
  lines: { productId: string; categoryId: string | null; total: number }[]
}

const couponInvalid = (reason: string) =>
  new ApiError(422, 'COUPON_INVALID', 'This coupon cannot be used for this order.', { details: { reason } })

/**
 * The campaign's discount on what is left of the bases, in centavos: a percentage is rounded
 * down to the centavo (never more than the percentage), a fixed amount is capped at its base,
 * so no discount ever makes an amount negative. 0 when the order is below its minimum.
 */
export function discountOf(campaign: Campaign, bases: Bases, subtotalCents: number): number {
  if (subtotalCents < campaign.minimumOrderCents) return 0
  const base =
    campaign.target === 'shipping'
      ? bases.shipping
      : campaign.target === 'order'
        ? bases.items
        : Math.min(
            bases.items,
            bases.lines
              .filter(
                (line) =>
                  campaign.productIds.includes(line.productId) ||
                  (line.categoryId !== null && campaign.categoryIds.includes(line.categoryId)),
              )
              .reduce((sum, line) => sum + line.total, 0),
          )
  const amount = campaign.kind === 'percent' ? Math.floor((base * campaign.value) / 100) : campaign.value
  let capped = Math.min(amount, base)
  // A spend budget gives what is left of it, never more; a usage budget counts the order.
  if (campaign.budgetKind === 'spend' && campaign.budgetLimit !== null)
    capped = Math.min(capped, campaign.budgetLimit - campaign.budgetUsed)
  if (
    campaign.budgetKind === 'uses' &&
    campaign.budgetLimit !== null &&
    campaign.budgetUsed >= campaign.budgetLimit
  )
    return 0
  return Math.max(0, capped)
}

/**
 * Applies the campaigns live now to a quote, by the stacking rule: the best automatic campaign
 * (the largest discount; ties to the oldest) and at most one coupon, the coupon computed on what
 * the automatic one left. `coupon` is matched whatever its case; an unknown, ended, exhausted or
 * inapplicable one is 422 COUPON_INVALID with the reason. Reads only (the preview is this).
 */
export async function applyCampaigns(
  scope: CommerceScope,
  quote: Quote,
  coupon: string | null | undefined,
): Promise<DiscountedQuote> {
  const live = await scope.tx
    .select()
    .from(commerceCampaigns)
    .where(
      and(
        eq(commerceCampaigns.tenantId, scope.tenantId),
        sql`${commerceCampaigns.startsAt} <= ${scope.now}`,
        or(isNull(commerceCampaigns.endsAt), sql`${commerceCampaigns.endsAt} > ${scope.now}`),
        coupon
          ? or(isNull(commerceCampaigns.code), sql`lower(${commerceCampaigns.code}) = lower(${coupon})`)
          : isNull(commerceCampaigns.code),
      ),
    )
    .orderBy(commerceCampaigns.createdAt, commerceCampaigns.id)
  const bases = await basesOf(scope, quote)
  const discounts: Discount[] = []
  let best: { campaign: Campaign; amount: number } | null = null
  for (const campaign of live.filter((c) => c.code === null)) {
    const amount = discountOf(campaign, bases, quote.subtotalCents)
    if (amount > 0 && (!best || amount > best.amount)) best = { campaign, amount }
  }
  if (best) {
    discounts.push(present(best.campaign, best.amount))
    take(bases, best.campaign.target, best.amount)
  }
  if (coupon) {
    const campaign = live.find((c) => c.code !== null)
    if (!campaign) throw couponInvalid('unknown_or_ended')
    if (quote.subtotalCents < campaign.minimumOrderCents) throw couponInvalid('minimum_order')
    const amount = discountOf(campaign, bases, quote.subtotalCents)
    if (amount <= 0) throw couponInvalid(exhausted(campaign) ? 'exhausted' : 'not_applicable')
    discounts.push(present(campaign, amount))
  }
  const discountCents = discounts.reduce((sum, d) => sum + d.amountCents, 0)
  return { ...quote, discounts, discountCents, totalCents: quote.totalCents - discountCents }
}

const exhausted = (c: Campaign) => c.budgetLimit !== null && c.budgetUsed >= c.budgetLimit

const present = (campaign: Campaign, amountCents: number): Discount => ({
  campaignId: campaign.id,
  name: campaign.name,
  code: campaign.code,
  target: campaign.target,
  amountCents,
})

/** Lowers what is left to discount after a discount was given (item discounts come off the items first). */
function take(bases: Bases, target: CampaignTarget, amount: number) {
  if (target === 'shipping') bases.shipping -= amount
  else bases.items -= amount
}

async function basesOf(scope: CommerceScope, quote: Quote): Promise<Bases> {
  const ids = [...new Set(quote.lines.map((line) => line.productId))]
  const categories = ids.length
    ? await scope.tx
        .select({ id: commerceProducts.id, categoryId: commerceProducts.categoryId })
        .from(commerceProducts)
        .where(and(eq(commerceProducts.tenantId, scope.tenantId), inArray(commerceProducts.id, ids)))
    : []
  return {
    items: quote.subtotalCents,
    shipping: quote.shippingCents,
    lines: quote.lines.map((line) => ({
      productId: line.productId,
      categoryId: categories.find((c) => c.id === line.productId)?.categoryId ?? null,
      total: line.lineTotalCents,
    })),
  }
}

const campaignExhausted = (campaignId: string, reason: 'budget' | 'customer_limit') =>
  new ApiError(
    409,
    'CAMPAIGN_EXHAUSTED',
    'A discount of this order is no longer available; review the order.',
    {
      details: { campaign_id: campaignId, reason },
    },
  )

/**
 * Records the order's discounts in the checkout's transaction, with Postgres as the judge of
 * every limit: the budget moves by one conditional UPDATE (`budget_used + x <= budget_limit`,
 * and the CHECK behind it), the customer's uses by an upsert whose update is conditional
 * (`uses < per_customer_limit`). The row a concurrent checkout locked first is waited for and
 * re-checked, so of many racing orders exactly as many pass as the limit allows; the others get
 * 409 CAMPAIGN_EXHAUSTED and their whole order rolls back.
 */
export async function redeemDiscounts(
  scope: CommerceScope,
  orderId: string,
  customerId: string,
  discounts: Discount[],
): Promise<void> {
  for (const discount of discounts) {
    const claimed = await scope.tx.execute<{ id: string }>(sql`
      update commerce_campaigns
      set budget_used = budget_used + case budget_kind when 'uses' then 1 when 'spend' then ${discount.amountCents}::int else 0 end,
          updated_at = ${scope.now}
      where id = ${discount.campaignId} and tenant_id = ${scope.tenantId}
        and starts_at <= ${scope.now} and (ends_at is null or ends_at > ${scope.now})
        and (budget_limit is null
             or budget_used + case budget_kind when 'uses' then 1 else ${discount.amountCents}::int end <= budget_limit)
      returning id`)
    if (claimed.rows.length === 0) throw campaignExhausted(discount.campaignId, 'budget')
    const counted = await scope.tx.execute<{ uses: number }>(sql`
      insert into commerce_campaign_customer_uses as u (tenant_id, campaign_id, customer_id, uses)
      values (${scope.tenantId}, ${discount.campaignId}, ${customerId}, 1)
      on conflict (campaign_id, customer_id) do update set uses = u.uses + 1
      where u.uses < coalesce((select per_customer_limit from commerce_campaigns where id = ${discount.campaignId}), 2147483647)
      returning u.uses`)
    if (counted.rows.length === 0) throw campaignExhausted(discount.campaignId, 'customer_limit')
    await scope.tx.insert(commerceCampaignRedemptions).values({
      id: newId('red'),
      tenantId: scope.tenantId,
      campaignId: discount.campaignId,
      orderId,
      customerId,
      discountCents: discount.amountCents,
    })
  }
}

/**
 * A cancelled or refunded order gives its discounts back: its redemptions become `returned`, the
 * budget regains what they took (1 use or their centavos) and the customer's uses drop by one.
 * One statement; a second call finds nothing active and changes nothing.
 */
export async function returnDiscounts(scope: CommerceScope, orderId: string): Promise<void> {
  await scope.tx.execute(sql`
    with returned as (
      update commerce_campaign_redemptions set status = 'returned', returned_at = ${scope.now}
      where order_id = ${orderId} and tenant_id = ${scope.tenantId} and status = 'active'
      returning campaign_id, customer_id, discount_cents
    ), budgets as (
      update commerce_campaigns c
      set budget_used = greatest(0, c.budget_used - case c.budget_kind when 'uses' then 1 else r.discount_cents end),
          updated_at = ${scope.now}
      from returned r
      where c.id = r.campaign_id and c.tenant_id = ${scope.tenantId} and c.budget_kind is not null
    )
    update commerce_campaign_customer_uses u set uses = u.uses - 1
    from returned r
    where u.campaign_id = r.campaign_id and u.customer_id = r.customer_id
      and u.tenant_id = ${scope.tenantId} and u.uses > 0`)
}
