import { z } from 'zod'
import { MEMBER_ROLES } from '../../../../db/schema/index.ts'
import type { FormState } from '../../../../portal/components/forms.tsx'
import type { MessageKey } from '../../../../portal/i18n/index.ts'
import { TeamPage } from '../../../../portal/pages/app/team.tsx'
import { emailField, portalOrigin } from '../../../http.ts'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { describeTenant } from '../../../services/tenant/tenant.ts'
import {
  deactivateUser,
  inviteUser,
  listUsers,
  reactivateUser,
  resendInvitation,
  revokeInvitation,
  updateUser,
} from '../../../services/tenant/users.ts'
import { readForm } from '../forms.ts'
import { attempt, isHtmx, type PortalContext, portalRun, seeOther, signedIn } from '../run.ts'

const USER = ':id{usr_[0-9a-z]{20}}'
const NOTICES: Record<string, MessageKey> = {
  invited: 'team.invitationSent',
  resent: 'team.invitationResent',
  revoked: 'team.invitationRevoked',
  role: 'team.roleChanged',
  deactivated: 'team.deactivated',
  reactivated: 'team.reactivated',
}

/** Invitations by e-mail: the person chooses their own password (no password typed here). */
const inviteForm = z.object({
  name: z.string().trim().min(1).max(100),
  email: emailField,
  role: z.enum(MEMBER_ROLES),
})

async function render(
  c: PortalContext,
  extra: { notice?: MessageKey; error?: MessageKey; form?: FormState } = {},
) {
  const { members, tenant } = await portalRun(c, async (ctx) => ({
    members: await listUsers(ctx, { limit: 100 }),
    tenant: await describeTenant(ctx),
  }))
  return c.render(
    <TeamPage
      members={members.data}
      selfId={c.get('viewer')?.id ?? ''}
      usage={{ users: tenant.usage.users, limit: tenant.limits?.users ?? null }}
      {...extra}
    />,
    { title: c.var.i18n.t('team.title') },
  )
}

const done = (c: PortalContext, notice: string) =>
  isHtmx(c) ? render(c, { notice: NOTICES[notice] }) : seeOther(c, `/app/team?done=${notice}`)

/** Team management for owners and admins, through the tenant users service (plan limits included). */
export function registerPortalTeam(portal: PortalApp) {
  portal.use('/app/team', signedIn('member'))
  portal.use('/app/team/*', signedIn('member'))

  portal.get('/app/team', (c) => render(c, { notice: NOTICES[c.req.query('done') ?? ''] }))

  portal.post('/app/team', async (c) => {
    const form = await readForm(c, inviteForm)
    if (!form.ok) {
      c.status(400)
      return render(c, { form: { values: form.values, errors: form.errors, message: 'form.fix' } })
    }
    const outcome = await attempt(() =>
      portalRun(c, (ctx) =>
        inviteUser(ctx, {
          ...form.data,
          origin: portalOrigin(c.var.caller.services.config, c.req.url),
          locale: c.var.i18n.locale,
        }),
      ),
    )
    if (!outcome.ok) {
      c.status(outcome.error.status)
      return render(c, { form: { values: form.values, errors: outcome.fields, message: outcome.message } })
    }
    return done(c, 'invited')
  })

  portal.post(`/app/team/${USER}/role`, async (c) => {
    const form = await readForm(c, z.object({ role: z.enum(MEMBER_ROLES) }))
    const outcome = form.ok
      ? await attempt(() =>
          portalRun(c, (ctx) => updateUser(ctx, c.req.param('id'), { role: form.data.role })),
        )
      : null
    if (!outcome?.ok) {
      c.status(outcome ? outcome.error.status : 400)
      return render(c, { error: outcome ? outcome.message : 'form.choose' })
    }
    return done(c, 'role')
  })

  portal.post(`/app/team/${USER}/invitation`, async (c) => {
    const origin = portalOrigin(c.var.caller.services.config, c.req.url)
    const outcome = await attempt(() =>
      portalRun(c, (ctx) => resendInvitation(ctx, c.req.param('id'), { origin, locale: c.var.i18n.locale })),
    )
    if (!outcome.ok) {
      c.status(outcome.error.status)
      return render(c, { error: outcome.message })
    }
    return done(c, 'resent')
  })

  portal.post(`/app/team/${USER}/invitation/revoke`, async (c) => {
    const outcome = await attempt(() => portalRun(c, (ctx) => revokeInvitation(ctx, c.req.param('id'))))
    if (!outcome.ok) {
      c.status(outcome.error.status)
      return render(c, { error: outcome.message })
    }
    return done(c, 'revoked')
  })

  for (const [action, verb] of [
    ['deactivate', deactivateUser],
    ['reactivate', reactivateUser],
  ] as const) {
    portal.post(`/app/team/${USER}/${action}`, async (c) => {
      const outcome = await attempt(() => portalRun(c, (ctx) => verb(ctx, c.req.param('id'))))
      if (!outcome.ok) {
        c.status(outcome.error.status)
        return render(c, { error: outcome.message })
      }
      return done(c, `${action}d`)
    })
  }
}
