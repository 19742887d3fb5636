import { and, asc, eq, inArray } from 'drizzle-orm'
import type { Tx } from '../../../db/client.ts'
import { commerceOptionGroups, commerceOptions } from '../../../db/schema/index.ts'

/** The option groups of `productIds` and their options, each in display order (two statements at most). */
export async function optionGroupsOf(tx: Tx, tenantId: string, productIds: string[]) {
  const groups = productIds.length
    ? await tx
        .select()
        .from(commerceOptionGroups)
        .where(
          and(
            eq(commerceOptionGroups.tenantId, tenantId),
            inArray(commerceOptionGroups.productId, productIds),
          ),
        )
        .orderBy(asc(commerceOptionGroups.position), asc(commerceOptionGroups.id))
    : []
  const options = groups.length
    ? await tx
        .select()
        .from(commerceOptions)
        .where(
          and(
            eq(commerceOptions.tenantId, tenantId),
            inArray(
              commerceOptions.groupId,
              groups.map((g) => g.id),
            ),
          ),
        )
        .orderBy(asc(commerceOptions.position), asc(commerceOptions.id))
    : []
  return { groups, options }
}

/** One product's groups with their options, as the catalog shows them. */
export function presentGroups(found: Awaited<ReturnType<typeof optionGroupsOf>>, productId: string) {
  return found.groups
    .filter((g) => g.productId === productId)
    .map((g) => ({
      id: g.id,
      name: g.name,
      minChoices: g.minChoices,
      maxChoices: g.maxChoices,
      options: found.options
        .filter((o) => o.groupId === g.id)
        .map((o) => ({ id: o.id, name: o.name, priceDeltaCents: o.priceDeltaCents })),
    }))
}
