import { z } from 'zod'
import type { FormState } from '../../../../portal/components/forms.tsx'
import type { MessageKey } from '../../../../portal/i18n/index.ts'
import { CampaignsPage, CampaignsSection } from '../../../../portal/pages/app/campaigns.tsx'
import { can } from '../../../auth/permissions.ts'
import { isStoredDate, LAST_DAY } from '../../../dates.ts'
import { notFound } from '../../../errors.ts'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { memberTimeZone } from '../../../middleware/portal-locale.ts'
import {
  type CampaignInput,
  campaignTargets,
  createCampaign,
  getCampaign,
  listCampaigns,
  updateCampaign,
} from '../../../services/commerce/campaigns/campaigns.ts'
import { zonedDate, zonedInstant } from '../../../services/scheduling/zones.ts'
import { readForm } from '../forms.ts'
import {
  actThenBack,
  attempt,
  errorFromQuery,
  isHtmx,
  type PortalContext,
  portalRun,
  seeOther,
  signedIn,
} from '../run.ts'
import { centsOf } from './schedule-settings.tsx'

const PAGE = '/app/commerce/campaigns'
const commerce = { module: 'commerce' } as const
const CAMPAIGN_ID = /^cmp_[0-9a-z]{20}$/

const DONE: Record<string, MessageKey> = {
  created: 'campaigns.created',
  saved: 'campaigns.saved',
  ended: 'campaigns.ended',
}

/** The member's zone (known inside portalRun): campaign days start and end at its midnight. */
const zoneOf = (c: PortalContext) => memberTimeZone(c)

const nextDay = (day: string) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)

const optional = (inner: z.ZodType<unknown>) =>
  z.preprocess((value) => (value === '' ? undefined : value), inner.optional())
const money = z.string().refine((text) => centsOf(text) !== null)
// A stored day with a next one (the end is the midnight after the last day).
const day = z.string().refine((text) => isStoredDate(text) && text < LAST_DAY)

const createForm = z.object({
  name: z.string().trim().min(1).max(120),
  code: optional(
    z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{3,40}$/),
  ),
  target: z.enum(['order', 'items', 'shipping']),
  kind: z.enum(['percent', 'fixed']),
  value: money,
  product_ids: z.preprocess(
    (v) => [v ?? []].flat(),
    z.array(z.string().regex(/^prd_[0-9a-z]{20}$/)).max(100),
  ),
  category_ids: z.preprocess(
    (v) => [v ?? []].flat(),
    z.array(z.string().regex(/^cat_[0-9a-z]{20}$/)).max(100),
  ),
  minimum: optional(money),
  starts: day,
  ends: optional(day),
  budget_kind: z.enum(['none', 'spend', 'uses']),
  budget_limit: optional(money),
  per_customer: optional(z.coerce.number().int().min(1).max(1000)),
})

const editForm = z.object({
  name: z.string().trim().min(1).max(120),
  ends: optional(day),
  budget_limit: optional(money),
})

/** A percent is a whole number; a fixed amount and a spend budget are reais; uses are counted. */
function inputOf(data: z.infer<typeof createForm>, zone: string): CampaignInput | { field: string } {
  const cents = (text: string) => centsOf(text) as number
  const value = data.kind === 'percent' ? Number(data.value.replace(',', '.')) : cents(data.value)
  if (!Number.isInteger(value) || value < 1 || (data.kind === 'percent' && value > 100))
    return { field: 'value' }
  const limitText = data.budget_limit as string | undefined
  let budget: CampaignInput['budget'] = null
  if (data.budget_kind !== 'none') {
    if (!limitText) return { field: 'budget_limit' }
    const limit = data.budget_kind === 'spend' ? cents(limitText) : Number(limitText.replace(',', '.'))
    if (!Number.isInteger(limit) || limit < 1) return { field: 'budget_limit' }
    budget = { kind: data.budget_kind, limit }
  }
  const ends = data.ends as string | undefined
  return {
    name: data.name,
    code: (data.code as string | undefined) ?? null,
    target: data.target,
    kind: data.kind,
    value,
    productIds: data.product_ids,
    categoryIds: data.category_ids,
    minimumOrderCents: data.minimum ? cents(data.minimum as string) : 0,
    startsAt: zonedInstant(data.starts, 0, zone),
    // The end day is included: the campaign stops at the next midnight.
    endsAt: ends ? zonedInstant(nextDay(ends), 0, zone) : null,
    budget,
    perCustomerLimit: (data.per_customer as number | undefined) ?? null,
  }
}

async function render(
  c: PortalContext,
  extra: { notice?: MessageKey; error?: MessageKey; form?: FormState } = {},
) {
  const data = await portalRun(
    c,
    async (ctx) => ({
      zone: zoneOf(c),
      campaigns: await listCampaigns(ctx),
      targets: await campaignTargets(ctx),
      canManage: can(ctx.principal, 'commerce.campaigns.manage'),
    }),
    commerce,
  )
  const zone = data.zone
  const { t, locale } = c.var.i18n
  const dayFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: zone })
  const props = {
    campaigns: data.campaigns.data,
    products: data.targets.products,
    categories: data.targets.categories,
    canManage: data.canManage,
    day: (instant: Date) => dayFormat.format(instant),
    inputDay: (instant: Date) => zonedDate(instant, zone),
    today: zonedDate(new Date(), zone),
    ...extra,
  }
  if (isHtmx(c) && c.req.method === 'POST') return c.html(<CampaignsSection {...props} />)
  return c.render(<CampaignsPage {...props} />, { title: t('campaigns.title') })
}

const campaignParam = (c: PortalContext) => {
  const id = c.req.param('id') ?? ''
  if (!CAMPAIGN_ID.test(id)) throw notFound('campaign')
  return id
}

/** The campaigns page of the commerce module, through the API's own verbs. */
export function registerPortalCampaigns(portal: PortalApp) {
  portal.use(PAGE, signedIn('member'))
  portal.use(`${PAGE}/*`, signedIn('member'))

  portal.get(PAGE, (c) => {
    const done = c.req.query('done')
    return render(c, { notice: done ? DONE[done] : undefined, error: errorFromQuery(c) })
  })

  portal.post(PAGE, async (c) => {
    const form = await readForm(c, createForm)
    const refuse = (errors: FormState['errors'], message: MessageKey = 'form.fix') => {
      c.status(400)
      return render(c, { form: { values: form.values, errors, message } })
    }
    if (!form.ok) return refuse(form.errors)
    const outcome = await attempt(() =>
      portalRun(
        c,
        async (ctx) => {
          const input = inputOf(form.data, zoneOf(c))
          return 'field' in input ? input : { created: await createCampaign(ctx, input) }
        },
        commerce,
      ),
    )
    if (outcome.ok && 'field' in outcome.value) return refuse({ [outcome.value.field]: 'form.invalid' })
    if (!outcome.ok) {
      c.status(outcome.error.status)
      return render(c, { form: { values: form.values, errors: outcome.fields, message: outcome.message } })
    }
    c.status(201)
    return render(c, { notice: 'campaigns.created' })
  })

  /** Name, last day and budget of a running or scheduled campaign. */
  portal.post(`${PAGE}/:id`, async (c) => {
    const id = campaignParam(c)
    const form = await readForm(c, editForm)
    if (!form.ok) return seeOther(c, `${PAGE}?error=VALIDATION_FAILED`)
    const ends = form.data.ends as string | undefined
    const limit = form.data.budget_limit as string | undefined
    return actThenBack(c, PAGE, 'saved', () =>
      portalRun(
        c,
        async (ctx) => {
          const zone = zoneOf(c)
          const current = await getCampaign(ctx, id)
          const budgetLimit =
            limit && current.budget
              ? current.budget.kind === 'spend'
                ? (centsOf(limit) ?? undefined)
                : Number(limit)
              : undefined
          return updateCampaign(ctx, id, {
            name: form.data.name,
            endsAt: ends ? zonedInstant(nextDay(ends), 0, zone) : null,
            ...(budgetLimit ? { budgetLimit } : {}),
          })
        },
        commerce,
      ),
    )
  })

  portal.post(`${PAGE}/:id/end`, async (c) => {
    const id = campaignParam(c)
    return actThenBack(c, PAGE, 'ended', () =>
      portalRun(c, (ctx) => updateCampaign(ctx, id, { end: true }), commerce),
    )
  })
}
