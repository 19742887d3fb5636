import { z } from 'zod'
import type { FormState } from '../../../../portal/components/forms.tsx'
import type { MessageKey } from '../../../../portal/i18n/index.ts'
import { ApiKeysPage } from '../../../../portal/pages/app/api-keys.tsx'
import type { PortalApp } from '../../../middleware/portal-env.ts'
import { createApiKey, listApiKeys, revokeApiKey } from '../../../services/tenant/api-keys.ts'
import { readForm } from '../forms.ts'
import { attempt, isHtmx, type PortalContext, portalRun, seeOther, signedIn } from '../run.ts'

type Extra = { created?: { name: string; key: string }; notice?: MessageKey; form?: FormState }

async function render(c: PortalContext, extra: Extra = {}) {
  const keys = await portalRun(c, (ctx) => listApiKeys(ctx, { limit: 100 }))
  // The one page that shows a secret: never cached, never kept in history by htmx.
  c.header('Cache-Control', 'no-store')
  return c.render(<ApiKeysPage keys={keys.data} {...extra} />, { title: c.var.i18n.t('keys.title') })
}

/** API keys through the tenant service: created keys are shown once, revocation is immediate. */
export function registerPortalApiKeys(portal: PortalApp) {
  portal.use('/app/api-keys', signedIn('member'))
  portal.use('/app/api-keys/*', signedIn('member'))

  portal.get('/app/api-keys', (c) =>
    render(c, { notice: c.req.query('done') === 'revoked' ? 'keys.revoked' : undefined }),
  )

  /** No redirect after creating: the key exists in this answer only. */
  portal.post('/app/api-keys', async (c) => {
    const form = await readForm(
      c,
      z.object({ name: z.string().trim().min(1).max(100), role: z.enum(['admin', 'analyst', 'viewer']) }),
    )
    if (!form.ok) {
      c.status(400)
      return render(c, { form: { values: form.values, errors: form.errors, message: 'form.fix' } })
    }
    const outcome = await attempt(() => portalRun(c, (ctx) => createApiKey(ctx, form.data)))
    if (!outcome.ok) {
      c.status(outcome.error.status)
      return render(c, { form: { values: form.values, errors: outcome.fields, message: outcome.message } })
    }
    c.status(201)
    return render(c, { created: { name: outcome.value.name, key: outcome.value.key } })
  })

  portal.post('/app/api-keys/:id{key_[0-9a-z]{20}}/revoke', async (c) => {
    await portalRun(c, (ctx) => revokeApiKey(ctx, c.req.param('id')))
    return isHtmx(c) ? render(c, { notice: 'keys.revoked' }) : seeOther(c, '/app/api-keys?done=revoked')
  })
}
