import type { CampaignView } from '../../../worker/services/commerce/campaigns/campaigns.ts'
import {
  ActionButton,
  Alert,
  Badge,
  CsrfField,
  Field,
  type FormState,
  formValue,
  HxForm,
  Select,
} from '../../components/forms.tsx'
import { type MessageKey, useI18n } from '../../i18n/index.ts'
import { money } from '../shop/shop.tsx'

/**
 * Campaigns and coupons of the commerce module (docs/commerce.md, "Campaigns"): each with its
 * rule in words, its period in the viewer's time zone and its results (orders, revenue, discount
 * given, budget left); a form to create one, and per campaign a small form to change it or end it.
 */

type Named = { id: string; name: string }

export type CampaignsProps = {
  campaigns: CampaignView[]
  products: Named[]
  categories: Named[]
  canManage: boolean
  /** Formats an instant as a date on the viewer's wall clock. */
  day: (instant: Date) => string
  /** An instant as the `YYYY-MM-DD` the viewer's date inputs take. */
  inputDay: (instant: Date) => string
  today: string
  notice?: MessageKey
  error?: MessageKey
  form?: FormState
}

const STATE_BADGE = { running: 'active', scheduled: 'pending', ended: 'none' } as const

/** "10 % off the order", "R$ 5,00 off shipping", "15 % off Café, Bebidas". */
function RuleText(props: { campaign: CampaignView; products: Named[]; categories: Named[] }) {
  const i18n = useI18n()
  const { t } = i18n
  const c = props.campaign
  const amount =
    c.kind === 'percent' ? i18n.number(c.value / 100, { style: 'percent' }) : money(i18n, c.value)
  const names = [
    ...c.productIds.map((id) => props.products.find((p) => p.id === id)?.name),
    ...c.categoryIds.map((id) => props.categories.find((p) => p.id === id)?.name),
  ].filter(Boolean)
  const on = names.join(', ') || t('campaigns.target.items')
  return (
    <>
      {t(`campaigns.rule.${c.target}`, { amount, on })}
      {c.minimumOrderCents > 0 && (
        <span class="muted small">
          {' '}
          · {t('campaigns.minimumShort', { amount: money(i18n, c.minimumOrderCents) })}
        </span>
      )}
      {c.perCustomerLimit !== null && (
        <span class="muted small"> · {t('campaigns.perCustomerShort', { count: c.perCustomerLimit })}</span>
      )}
    </>
  )
}

function budgetText(i18n: ReturnType<typeof useI18n>, c: CampaignView): string {
  if (!c.budget) return i18n.t('campaigns.noBudget')
  const left = c.results.remainingBudget ?? 0
  return c.budget.kind === 'spend'
    ? i18n.t('campaigns.budgetLeftSpend', { left: money(i18n, left), limit: money(i18n, c.budget.limit) })
    : i18n.t('campaigns.budgetLeftUses', { left, limit: c.budget.limit })
}

function CampaignCard(props: CampaignsProps & { campaign: CampaignView }) {
  const i18n = useI18n()
  const { t } = i18n
  const c = props.campaign
  // The last day shown is the one the end falls in, not the next midnight it is stored as.
  const lastDay = c.endsAt ? props.day(new Date(c.endsAt.getTime() - 1)) : null
  return (
    <article class="card campaign" aria-labelledby={`c-${c.id}`}>
      <header class="campaign-head">
        <h3 id={`c-${c.id}`}>{c.name}</h3>
        <Badge
          status={STATE_BADGE[c.state as keyof typeof STATE_BADGE]}
          label={t(`campaigns.state.${c.state}` as MessageKey)}
        />
      </header>
      <p>
        {c.code ? (
          <>
            {t('campaigns.coupon')} <code>{c.code}</code>
          </>
        ) : (
          t('campaigns.automatic')
        )}
        {' · '}
        <RuleText campaign={c} products={props.products} categories={props.categories} />
      </p>
      <p class="muted small">
        {lastDay
          ? t('campaigns.period', { from: props.day(c.startsAt), to: lastDay })
          : t('campaigns.periodOpen', { from: props.day(c.startsAt) })}
      </p>
      <dl class="campaign-results">
        <div>
          <dt>{t('campaigns.orders')}</dt>
          <dd>{i18n.number(c.results.orders)}</dd>
        </div>
        <div>
          <dt>{t('campaigns.revenue')}</dt>
          <dd>{money(i18n, c.results.revenueCents)}</dd>
        </div>
        <div>
          <dt>{t('campaigns.discount')}</dt>
          <dd>{money(i18n, c.results.discountCents)}</dd>
        </div>
        <div>
          <dt>{t('campaigns.budget')}</dt>
          <dd>{budgetText(i18n, c)}</dd>
        </div>
      </dl>
      {props.canManage && c.state !== 'ended' && (
        <div class="campaign-actions">
          <details>
            <summary>{t('campaigns.edit')}</summary>
            <form method="post" action={`/app/commerce/campaigns/${c.id}`} class="stack">
              <CsrfField />
              <Field name="name" label="campaigns.name" value={c.name} required />
              <Field
                name="ends"
                label="campaigns.ends"
                type="date"
                value={c.endsAt ? props.inputDay(new Date(c.endsAt.getTime() - 1)) : ''}
              />
              {c.budget && (
                <Field
                  name="budget_limit"
                  label={c.budget.kind === 'spend' ? 'campaigns.budgetSpend' : 'campaigns.budgetUses'}
                  value={
                    c.budget.kind === 'spend'
                      ? (c.budget.limit / 100).toFixed(2).replace('.', ',')
                      : c.budget.limit
                  }
                  inputmode="decimal"
                />
              )}
              <button type="submit" class="primary">
                {t('campaigns.save')}
              </button>
            </form>
          </details>
          <ActionButton
            action={`/app/commerce/campaigns/${c.id}/end`}
            target="#campaigns"
            label={t('campaigns.end')}
            variant="danger"
            confirm={t('campaigns.endConfirm', { name: c.name })}
          />
        </div>
      )}
    </article>
  )
}

function CreateForm(props: CampaignsProps) {
  const { t } = useI18n()
  const form = props.form
  const errors = form?.errors
  const value = (name: string, fallback = '') => formValue(form, name) ?? fallback
  const picked = (name: string) => new Set([form?.values?.[name] ?? []].flat())
  const chosenProducts = picked('product_ids')
  const chosenCategories = picked('category_ids')
  return (
    <details class="card" open={Boolean(form)}>
      <summary>
        <strong>{t('campaigns.create')}</strong>
      </summary>
      {form?.message && <Alert kind="error">{t(form.message)}</Alert>}
      <HxForm
        action="/app/commerce/campaigns"
        target="#campaigns"
        class="stack"
        label={t('campaigns.create')}
      >
        <Field name="name" label="campaigns.name" value={value('name')} errors={errors} required />
        <Field
          name="code"
          label="campaigns.code"
          value={value('code')}
          errors={errors}
          hint="campaigns.codeHint"
        />
        <Select
          name="target"
          label="campaigns.targetLabel"
          value={value('target', 'order')}
          errors={errors}
          options={(['order', 'items', 'shipping'] as const).map((v) => ({
            value: v,
            label: t(`campaigns.target.${v}`),
          }))}
        />
        <Select
          name="kind"
          label="campaigns.kindLabel"
          value={value('kind', 'percent')}
          errors={errors}
          options={(['percent', 'fixed'] as const).map((v) => ({
            value: v,
            label: t(`campaigns.kind.${v}`),
          }))}
        />
        <Field
          name="value"
          label="campaigns.value"
          value={value('value')}
          errors={errors}
          hint="campaigns.valueHint"
          inputmode="decimal"
          required
        />
        {(props.products.length > 0 || props.categories.length > 0) && (
          <fieldset class={errors?.product_ids ? 'field invalid' : 'field'}>
            <legend>{t('campaigns.itemsLabel')}</legend>
            <p class="hint">{t('campaigns.itemsHint')}</p>
            {props.categories.map((category) => (
              <label class="choice">
                <input
                  type="checkbox"
                  name="category_ids"
                  value={category.id}
                  checked={chosenCategories.has(category.id)}
                />{' '}
                {category.name}
              </label>
            ))}
            {props.products.map((product) => (
              <label class="choice">
                <input
                  type="checkbox"
                  name="product_ids"
                  value={product.id}
                  checked={chosenProducts.has(product.id)}
                />{' '}
                {product.name}
              </label>
            ))}
            {errors?.product_ids && <p class="error">{t(errors.product_ids)}</p>}
          </fieldset>
        )}
        <Field
          name="minimum"
          label="campaigns.minimum"
          value={value('minimum')}
          errors={errors}
          inputmode="decimal"
          hint="campaigns.moneyHint"
        />
        <Field
          name="starts"
          label="campaigns.starts"
          type="date"
          value={value('starts', props.today)}
          errors={errors}
          required
        />
        <Field
          name="ends"
          label="campaigns.ends"
          type="date"
          value={value('ends')}
          errors={errors}
          hint="campaigns.endsHint"
        />
        <Select
          name="budget_kind"
          label="campaigns.budgetKind"
          value={value('budget_kind', 'none')}
          errors={errors}
          options={(['none', 'spend', 'uses'] as const).map((v) => ({
            value: v,
            label: t(`campaigns.budgetKind.${v}`),
          }))}
        />
        <Field
          name="budget_limit"
          label="campaigns.budgetLimit"
          value={value('budget_limit')}
          errors={errors}
          inputmode="decimal"
          hint="campaigns.budgetLimitHint"
        />
        <Field
          name="per_customer"
          label="campaigns.perCustomer"
          type="number"
          min={1}
          value={value('per_customer')}
          errors={errors}
          inputmode="numeric"
        />
        <button type="submit" class="primary">
          {t('campaigns.createSubmit')}
        </button>
      </HxForm>
    </details>
  )
}

/** The section htmx swaps after an action: notices, the create form and the campaigns. */
export function CampaignsSection(props: CampaignsProps) {
  const { t } = useI18n()
  return (
    <section id="campaigns" aria-label={t('campaigns.title')}>
      {props.notice && <Alert kind="success">{t(props.notice)}</Alert>}
      {props.error && <Alert kind="error">{t(props.error)}</Alert>}
      {props.canManage && <CreateForm {...props} />}
      {props.campaigns.length === 0 ? (
        <p class="muted">{t('campaigns.none')}</p>
      ) : (
        props.campaigns.map((campaign) => <CampaignCard {...props} campaign={campaign} />)
      )}
    </section>
  )
}

export function CampaignsPage(props: CampaignsProps) {
  const { t } = useI18n()
  return (
    <>
      <h1>{t('campaigns.title')}</h1>
      <p class="muted">{t('campaigns.lead')}</p>
      <CampaignsSection {...props} />
    </>
  )
}
