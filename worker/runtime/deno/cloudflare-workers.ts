/**
 * `cloudflare:workers` exists only inside workerd. Deno (deno.json's import map) and the Node
 * suite (vitest.node.config.ts) build the same app, which imports the TenantEvents Durable
 * Object's module; neither ever reaches the object, so its base class only has to exist.
 */
export class DurableObject<Env = unknown> {
  readonly ctx: unknown
  readonly env: Env
  constructor(ctx: unknown, env: Env) {
    this.ctx = ctx
    this.env = env
  }
}
