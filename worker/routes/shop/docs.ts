import type { ResponseDoc, RouteDoc } from '../../openapi/registry.ts'

/**
 * The OpenAPI prose shared by the storefront API's operations (tag `shop`): no credential, the
 * shop named by `X-Tenant`, a per-address rate limit. Each route adds its own summary and answers.
 */
export function shopDoc(
  summary: string,
  responses: Readonly<Record<number, ResponseDoc>>,
  description?: string,
): RouteDoc {
  return {
    summary,
    tags: ['shop'],
    description: [
      description,
      'Public: no credential. The shop is the `X-Tenant` slug; an unknown shop, or one whose plan lacks commerce, is 404. Rate-limited per client address (429 with Retry-After).',
    ]
      .filter(Boolean)
      .join('\n\n'),
    responses: {
      ...responses,
      404: { description: 'Unknown shop, store or order (another shop’s ids read as unknown).' },
      429: { description: 'Too many requests from this address; retry after `Retry-After` seconds.' },
    },
  }
}
