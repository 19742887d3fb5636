import { z } from 'zod'
import type { FormState } from '../../../portal/components/forms.tsx'
import type { MessageKey } from '../../../portal/i18n/index.ts'
import { AccountPage, SessionsPage } from '../../../portal/pages/account.tsx'
import { TwoFactorSection, type TwoFactorStep } from '../../../portal/pages/two-factor.tsx'
import { can } from '../../auth/permissions.ts'
import { timeZoneField } from '../../dates.ts'
import { newPasswordField } from '../../http.ts'
import type { PortalApp } from '../../middleware/portal-env.ts'
import { changePassword, listMySessions, revokeMySession } from '../../services/auth/account.ts'
import { setMyTimeZone } from '../../services/auth/preferences.ts'
import {
  confirmTotpEnrolment,
  disableTotp,
  getTwoFactorRequirement,
  regenerateRecoveryCodes,
  setTwoFactorRequirement,
  startTotpEnrolment,
  twoFactorStatus,
} from '../../services/auth/two-factor.ts'
import type { ServiceContext } from '../../services/context.ts'
import { codeBody, disableBody, enrolmentBody } from '../auth/two-factor.ts'

/** The portal's turn-off form names its code field apart from the recovery-codes form's. */
const disableForm = disableBody.omit({ code: true }).extend({ disable_code: disableBody.shape.code })

import { readForm } from './forms.ts'
import { attempt, isHtmx, type PortalContext, portalCaller, portalRun, seeOther, signedIn } from './run.ts'

/** The account page is where a session that must change its password first is sent: it may use it. */
const RESTRICTED = { allowRestricted: true }

const passwordForm = z
  .object({
    current_password: z.string().min(1).max(1024),
    new_password: newPasswordField,
    confirm_password: z.string().max(1024),
  })
  .refine((form) => form.new_password === form.confirm_password, {
    path: ['confirm_password'],
    message: 'mismatch',
  })

/** Sessions and account settings, the same pages for operators (/admin) and members (/app). */
export function registerPortalAccount(portal: PortalApp) {
  for (const area of ['admin', 'app'] as const) {
    const guard = signedIn(area === 'admin' ? 'operator' : 'member')
    for (const path of [
      `/${area}/sessions`,
      `/${area}/sessions/*`,
      `/${area}/account`,
      `/${area}/account/*`,
    ]) {
      portal.use(path, guard)
    }

    const renderSessions = async (c: PortalContext, notice?: MessageKey) => {
      const sessions = await portalRun(c, listMySessions)
      return c.render(<SessionsPage area={area} sessions={sessions} notice={notice} />, {
        title: c.var.i18n.t('sessions.title'),
      })
    }

    portal.get(`/${area}/sessions`, (c) =>
      renderSessions(c, c.req.query('done') === 'revoked' ? 'sessions.revoked' : undefined),
    )

    portal.post(`/${area}/sessions/:id{ses_[0-9a-z]{20}}/revoke`, async (c) => {
      await portalRun(c, (ctx) => revokeMySession(ctx, c.req.param('id')))
      return isHtmx(c) ? renderSessions(c, 'sessions.revoked') : seeOther(c, `/${area}/sessions?done=revoked`)
    })

    const renderAccount = async (
      c: PortalContext,
      extra: {
        passwordForm?: FormState
        notice?: MessageKey
        noticeParams?: Record<string, number>
        required?: boolean
        zoneSaved?: boolean
        twoFactor?: TwoFactorExtra
      } = {},
    ) => {
      const { twoFactor, ...page } = extra
      const { status, tenant } = await portalRun(c, loadTwoFactor, RESTRICTED)
      const viewer = c.get('viewer')
      if (!viewer) throw new Error('signed-in page without a viewer')
      const section = <TwoFactorSection area={area} status={status} tenant={tenant} {...twoFactor} />
      return c.render(<AccountPage area={area} viewer={viewer} {...page} twoFactor={section} />, {
        title: c.var.i18n.t('account.title'),
      })
    }

    portal.get(`/${area}/account`, (c) => {
      if (c.req.query('required') === 'password') return renderAccount(c, { required: true })
      if (c.req.query('required') === 'totp') return renderAccount(c, { twoFactor: { mustEnrol: true } })
      if (c.req.query('done') === 'time-zone') return renderAccount(c, { zoneSaved: true })
      if (c.req.query('done') === 'two-factor-off')
        return renderAccount(c, { twoFactor: { notice: 'twoFactor.disabled' } })
      const ended = Number(c.req.query('ended'))
      return c.req.query('done') === 'password'
        ? renderAccount(c, {
            notice: 'account.passwordChanged',
            noticeParams: { count: Number.isFinite(ended) ? ended : 0 },
          })
        : renderAccount(c)
    })

    /** The person's own zone for times on screen; empty follows the tenant's (or São Paulo). */
    portal.post(`/${area}/account/time-zone`, async (c) => {
      const form = await readForm(c, z.object({ time_zone: z.literal('').or(timeZoneField) }))
      if (form.ok) await portalRun(c, (ctx) => setMyTimeZone(ctx, form.data.time_zone || null))
      return seeOther(c, `/${area}/account${form.ok ? '?done=time-zone' : ''}#time-zone`)
    })

    /** Re-authentication: the current password is checked by the service before anything changes. */
    portal.post(`/${area}/account/password`, async (c) => {
      const form = await readForm(c, passwordForm)
      if (!form.ok) {
        c.status(400)
        const errors = { ...form.errors }
        if (errors.confirm_password === 'form.invalid') errors.confirm_password = 'account.mismatch'
        return renderAccount(c, { passwordForm: { errors, message: 'form.fix' } })
      }
      const outcome = await attempt(() =>
        portalRun(
          c,
          (ctx) =>
            changePassword(ctx, {
              currentPassword: form.data.current_password,
              newPassword: form.data.new_password,
            }),
          RESTRICTED,
        ),
      )
      if (!outcome.ok) {
        c.status(outcome.error.status)
        const errors =
          outcome.error.code === 'WRONG_PASSWORD'
            ? { current_password: 'error.WRONG_PASSWORD' as const }
            : outcome.fields
        return renderAccount(c, { passwordForm: { errors, message: outcome.message } })
      }
      const ended = outcome.value.endedSessions
      if (isHtmx(c)) {
        return renderAccount(c, { notice: 'account.passwordChanged', noticeParams: { count: ended } })
      }
      return seeOther(c, `/${area}/account?done=password&ended=${ended}`)
    })

    registerTwoFactorForms(area, renderAccount)
  }

  /**
   * The two-factor forms: each answers the account page with its section in the new state (htmx
   * swaps only the section). Refusals are shown beside the form, never as an error page.
   */
  function registerTwoFactorForms(
    area: 'admin' | 'app',
    renderAccount: (c: PortalContext, extra: { twoFactor?: TwoFactorExtra }) => Promise<Response>,
  ) {
    const base = `/${area}/account/two-factor`
    const refused = (c: PortalContext, outcome: Refusal, codeField = 'code') => {
      c.status(outcome.error.status)
      const errors =
        outcome.error.code === 'WRONG_PASSWORD'
          ? { password: 'error.WRONG_PASSWORD' as const }
          : outcome.error.code === 'INVALID_CODE'
            ? { [codeField]: 'error.INVALID_CODE' as const }
            : outcome.fields
      return renderAccount(c, { twoFactor: { form: { errors, message: outcome.message } } })
    }
    const invalid = (c: PortalContext, errors: FormState['errors']) => {
      c.status(400)
      return renderAccount(c, { twoFactor: { form: { errors, message: 'form.fix' } } })
    }

    portal.post(`${base}/enrol`, async (c) => {
      const form = await readForm(c, enrolmentBody)
      if (!form.ok) return invalid(c, form.errors)
      const outcome = await attempt(() =>
        portalRun(c, (ctx) => startTotpEnrolment(ctx, form.data), RESTRICTED),
      )
      if (!outcome.ok) return refused(c, outcome)
      c.header('Cache-Control', 'no-store')
      return renderAccount(c, { twoFactor: { step: { kind: 'enrolling', ...outcome.value } } })
    })

    portal.post(`${base}/confirm`, async (c) => {
      const form = await readForm(c, codeBody)
      if (!form.ok) return invalid(c, form.errors)
      const outcome = await attempt(() => confirmTotpEnrolment(portalCaller(c), form.data))
      if (!outcome.ok) return refused(c, outcome)
      c.header('Cache-Control', 'no-store')
      return renderAccount(c, {
        twoFactor: {
          step: { kind: 'codes', codes: outcome.value.recoveryCodes, notice: 'twoFactor.enabled' },
        },
      })
    })

    portal.post(`${base}/recovery-codes`, async (c) => {
      const form = await readForm(c, codeBody)
      if (!form.ok) return invalid(c, form.errors)
      const outcome = await attempt(() => regenerateRecoveryCodes(portalCaller(c), form.data))
      if (!outcome.ok) return refused(c, outcome)
      c.header('Cache-Control', 'no-store')
      return renderAccount(c, {
        twoFactor: {
          step: { kind: 'codes', codes: outcome.value.recoveryCodes, notice: 'twoFactor.newCodes' },
        },
      })
    })

    portal.post(`${base}/disable`, async (c) => {
      const form = await readForm(c, disableForm)
      if (!form.ok) return invalid(c, form.errors)
      const outcome = await attempt(() =>
        disableTotp(portalCaller(c), { password: form.data.password, code: form.data.disable_code }),
      )
      if (!outcome.ok) return refused(c, outcome, 'disable_code')
      return seeOther(c, `/${area}/account?done=two-factor-off`)
    })

    if (area === 'app') {
      portal.post(`${base}/tenant`, async (c) => {
        const form = await readForm(c, z.object({ required: z.enum(['true', 'false']) }))
        if (!form.ok) return invalid(c, form.errors)
        const outcome = await attempt(() =>
          portalRun(c, (ctx) => setTwoFactorRequirement(ctx, { required: form.data.required === 'true' })),
        )
        if (!outcome.ok) return refused(c, outcome)
        return renderAccount(c, {})
      })
    }
  }
}

type TwoFactorExtra = {
  step?: TwoFactorStep
  form?: FormState
  notice?: MessageKey
  mustEnrol?: boolean
}
type Refusal = Extract<Awaited<ReturnType<typeof attempt>>, { ok: false }>

/** The person's two-factor state, and for owners the tenant's requirement. */
async function loadTwoFactor(ctx: ServiceContext) {
  const status = await twoFactorStatus(ctx)
  const tenant = can(ctx.principal, 'tenant.security') ? await getTwoFactorRequirement(ctx) : undefined
  return { status, tenant }
}
