import { eq } from 'drizzle-orm'
import { commerceSettings } from '../../../db/schema/index.ts'
import type { Services } from '../../runtime/ports.ts'
import { runStorefront } from './storefront.ts'

/** The browser origins the tenant's storefront API answers with CORS (none configured: none). */
export function storefrontOrigins(services: Services, slug: string): Promise<string[]> {
  return runStorefront(services, null, slug, async ({ tx, tenantId }) => {
    const [row] = await tx
      .select({ origins: commerceSettings.storefrontOrigins })
      .from(commerceSettings)
      .where(eq(commerceSettings.tenantId, tenantId))
    return row?.origins ?? []
  })
}
