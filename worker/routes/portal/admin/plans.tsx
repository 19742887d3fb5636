import { z } from 'zod'
import { MODULES } from '../../../../db/schema/index.ts'
import type { FormState } from '../../../../portal/components/forms.tsx'
import { PlansPage } from '../../../../portal/pages/admin/plans.tsx'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { createPlan, listPlans, retirePlan, updatePlan } from '../../../services/admin/plans.ts'
import { many, readForm } from '../forms.ts'
import { actThenBack, attempt, errorFromQuery, type PortalContext, portalRun, seeOther } from '../run.ts'

const count = (min: number) => z.coerce.number().int().min(min).max(1_000_000)
const planForm = z.object({
  code: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9-]{0,39}$/),
  name: z.string().trim().min(1).max(100),
  users: count(1),
  connections: count(1),
  retention_days: count(1),
  collection_interval_minutes: count(15),
  stores: z.coerce.number().int().min(0).max(10_000),
})
const storesForm = z.object({
  stores: z
    .string()
    .trim()
    .regex(/^\d{1,5}$/)
    .transform(Number)
    .pipe(z.number().max(10_000)),
})

// Digits only: an empty box is not 0.
const attendanceLimitForm = z.object({
  attendance_messages: z
    .string()
    .trim()
    .regex(/^\d{1,8}$/)
    .transform(Number)
    .refine((n) => n <= 10_000_000),
})

async function render(c: PortalContext, form?: FormState) {
  const plans = await portalRun(c, (ctx) => listPlans(ctx, { includeRetired: true, limit: 100 }))
  const notice =
    c.req.query('done') === 'retired'
      ? ('plans.retired' as const)
      : c.req.query('done') === 'created'
        ? ('plans.created' as const)
        : c.req.query('done') === 'stores'
          ? ('plans.storesUpdated' as const)
          : c.req.query('done') === 'updated'
            ? ('plans.updated' as const)
            : undefined
  return c.render(<PlansPage plans={plans.data} form={form} notice={notice} error={errorFromQuery(c)} />, {
    title: c.var.i18n.t('plans.title'),
  })
}

/** Plans for operators: list (retired ones too), create, retire, and the stores limit changed in place. */
export function registerPortalAdminPlans(portal: PortalApp) {
  portal.get('/admin/plans', (c) => render(c))

  portal.post('/admin/plans', async (c) => {
    const form = await readForm(c, planForm)
    if (!form.ok) {
      c.status(400)
      return render(c, { values: form.values, errors: form.errors, message: 'form.fix' })
    }
    const modules = many(form.values, 'modules').filter((m): m is (typeof MODULES)[number] =>
      (MODULES as readonly string[]).includes(m),
    )
    const outcome = await attempt(() =>
      portalRun(c, (ctx) =>
        createPlan(ctx, {
          code: form.data.code,
          name: form.data.name,
          modules,
          limits: {
            users: form.data.users,
            connections: form.data.connections,
            retentionDays: form.data.retention_days,
            collectionIntervalMinutes: form.data.collection_interval_minutes,
            stores: form.data.stores,
          },
        }),
      ),
    )
    if (!outcome.ok) {
      c.status(outcome.error.status)
      const errors =
        outcome.error.code === 'PLAN_CODE_TAKEN' ? { code: 'error.PLAN_CODE_TAKEN' as const } : outcome.fields
      return render(c, { values: form.values, errors, message: outcome.message })
    }
    return seeOther(c, '/admin/plans?done=created')
  })

  /** The commerce stores limit of one plan (the store-creation verb enforces it). */
  portal.post('/admin/plans/:id{pln_[0-9a-z]{20}}/stores-limit', async (c) => {
    const form = await readForm(c, storesForm)
    if (!form.ok) return seeOther(c, '/admin/plans?error=VALIDATION_FAILED')
    return actThenBack(c, '/admin/plans', 'stores', () =>
      portalRun(c, (ctx) => updatePlan(ctx, c.req.param('id'), { limits: { stores: form.data.stores } })),
    )
  })

  // One limit changed in place (the rest of a plan through the API's PATCH).
  portal.post('/admin/plans/:id{pln_[0-9a-z]{20}}/attendance-limit', async (c) => {
    const form = await readForm(c, attendanceLimitForm)
    if (!form.ok) return seeOther(c, '/admin/plans?error=VALIDATION_FAILED')
    const attendanceMessages = form.data.attendance_messages
    return actThenBack(c, '/admin/plans', 'updated', () =>
      portalRun(c, (ctx) => updatePlan(ctx, c.req.param('id'), { limits: { attendanceMessages } })),
    )
  })

  portal.post('/admin/plans/:id{pln_[0-9a-z]{20}}/retire', (c) =>
    actThenBack(c, '/admin/plans', 'retired', () =>
      portalRun(c, (ctx) => retirePlan(ctx, c.req.param('id'))),
    ),
  )
}
