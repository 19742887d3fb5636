import type { Module } from '../../db/schema/index.ts'
import type { Credential, RequestMeta } from '../auth/principal.ts'
import { ApiError } from '../errors.ts'
import { describeError, log } from '../log.ts'
import type { Services } from '../runtime/ports.ts'
import { confirmCredential, type ServiceContext } from './context.ts'

export type RunOptions = {
  /** The tenant's license must grant this module now (403 LICENSE_INACTIVE / MODULE_DISABLED). */
  module?: Module
  /**
   * The work is one a restricted session may do (see its password change through): without it, a
   * session that must change its password first is answered 403 PASSWORD_CHANGE_REQUIRED.
   */
  allowRestricted?: boolean
}

/**
 * Who is asking, with what runtime handles and from where: the one request scope. The `init`
 * middleware builds it once per request and `authenticate` (or the portal's session cookie, or an
 * OAuth state) adds the credential, so services and flows take a `Caller` and never see the web
 * framework. A flow that calls a platform between two transactions (check, call with no
 * transaction open, write) is one service function taking a Caller, used by the API and the portal.
 */
export type Caller = {
  readonly services: Services
  readonly meta: RequestMeta
  /** What the request proved (a verified token, or an API key still to be checked); none when anonymous. */
  readonly credential: Credential | undefined
  /**
   * Runs `work` in one transaction as the confirmed principal: the session (or API key) is
   * checked inside that same transaction, the tenant comes from the principal and is set for
   * row-level security, and with `module` the tenant's license must include it.
   */
  run<T>(work: (ctx: ServiceContext) => Promise<T>, options?: RunOptions): Promise<T>
  /** The same request scope proving `credential`. */
  as(credential: Credential): Caller
}

export type CallerInit = {
  services: Services
  meta: RequestMeta
  credential?: Credential
  /** Told the tenant once it is known (the request log names it); undefined for operators. */
  onTenant?: (tenantId: string | undefined) => void
}

export function createCaller(init: CallerInit): Caller {
  const { services, meta, credential, onTenant } = init
  if (credential?.kind === 'token') onTenant?.(credential.principal.tenantId ?? undefined)
  return {
    services,
    meta,
    credential,
    as: (next) => createCaller({ ...init, credential: next }),
    run: async (work, options = {}) => {
      if (!credential) throw new ApiError(401, 'UNAUTHENTICATED', 'Authentication is required.')
      const committed: (() => Promise<void>)[] = []
      // The first statement sets the tenant itself, so the transaction opens without a setting.
      const result = await services.db.transaction(async (tx) => {
        const now = new Date()
        const confirmed = await confirmCredential(tx, credential, now, options.module, options)
        onTenant?.(confirmed.principal.tenantId ?? undefined)
        const afterCommit = (task: () => Promise<void>) => void committed.push(task)
        return work({ tx, meta, services, now, afterCommit, ...confirmed })
      })
      await runAfterCommit(committed)
      return result
    },
  }
}

/** The tasks of a committed transaction, in order; a failure is logged and the next still runs. */
async function runAfterCommit(tasks: (() => Promise<void>)[]): Promise<void> {
  for (const task of tasks) {
    await task().catch((error: unknown) => log('warn', 'after-commit task failed', describeError(error)))
  }
}

/** Request facts kept in audit rows, from a request's headers. */
export function requestMetaOf(headers: Headers, requestId: string): RequestMeta {
  return {
    // Cloudflare sets CF-Connecting-IP on every request that reaches a Worker.
    ip: headers.get('cf-connecting-ip'),
    userAgent: headers.get('user-agent'),
    requestId,
  }
}
