/**
 * `cloudflare:workers` exists only inside workerd. The Node suite builds the same app (for the
 * OpenAPI document), which imports the TenantEvents Durable Object's module; no request here
 * reaches the object, so its base class only has to exist.
 */
export class DurableObject<Env = unknown> {
  readonly ctx: unknown
  readonly env: Env
  constructor(ctx: unknown, env: Env) {
    this.ctx = ctx
    this.env = env
  }
}
