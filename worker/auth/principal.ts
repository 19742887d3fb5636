import type { MemberRole } from '../../db/schema/index.ts'

/** Who is calling, as proven by an access token or an API key. The tenant comes only from here. */
export type Principal =
  | { kind: 'operator'; id: string; sessionId: string; role: 'operator'; tenantId: null }
  | { kind: 'member'; id: string; sessionId: string; role: MemberRole; tenantId: string }
  | { kind: 'api_key'; id: string; role: 'admin' | 'analyst' | 'viewer'; tenantId: string }

/**
 * What the Authorization header proved before any database work: a verified access token, or
 * an API key's id and secret that the service runner checks inside the request's transaction.
 */
export type Credential =
  | { kind: 'token'; principal: Extract<Principal, { kind: 'operator' | 'member' }> }
  | { kind: 'api_key'; keyId: string; secret: string }

export type TenantPrincipal = Extract<Principal, { tenantId: string }>

/** Request facts kept in audit rows. */
export type RequestMeta = { ip: string | null; userAgent: string | null; requestId: string }
