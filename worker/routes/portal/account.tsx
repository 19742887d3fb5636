import { z } from 'zod'
import type { FormState } from '../../../portal/components/forms.tsx'
import type { MessageKey } from '../../../portal/i18n/index.ts'
import { AccountPage, SessionsPage } from '../../../portal/pages/account.tsx'
import { newPasswordField } from '../../http.ts'
import type { PortalApp } from '../../middleware/portal-env.ts'
import { changePassword, listMySessions, revokeMySession } from '../../services/auth/account.ts'
import { readForm } from './forms.ts'
import { attempt, isHtmx, type PortalContext, portalRun, seeOther, signedIn } from './run.ts'

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
      } = {},
    ) => {
      await portalRun(c, async () => undefined, RESTRICTED)
      const viewer = c.get('viewer')
      if (!viewer) throw new Error('signed-in page without a viewer')
      return c.render(<AccountPage area={area} viewer={viewer} {...extra} />, {
        title: c.var.i18n.t('account.title'),
      })
    }

    portal.get(`/${area}/account`, (c) => {
      if (c.req.query('required') === 'password') return renderAccount(c, { required: true })
      const ended = Number(c.req.query('ended'))
      return c.req.query('done') === 'password'
        ? renderAccount(c, {
            notice: 'account.passwordChanged',
            noticeParams: { count: Number.isFinite(ended) ? ended : 0 },
          })
        : renderAccount(c)
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
  }
}
