/**
 * `cloudflare:workers` exists only inside workerd. The Node suite builds the same app (for the
 * OpenAPI document), which imports the TenantEvents Durable Object's module; no request here
 * reaches the object, so its base class only has to exist.
 */
export class DurableObject<Env = unknown> {
  constructor(
    readonly ctx: unknown,
    readonly env: Env,
  ) {}
}
