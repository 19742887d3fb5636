import type { OrderAddress } from '../../../db/schema/index.ts'
import { lookupCep } from '../../connectors/geocoding/cep.ts'
import { ApiError } from '../../errors.ts'
import type { Services } from '../../runtime/ports.ts'
import type { Coordinates } from './cart.ts'

/** A delivery address as a customer types it: the CEP and number; the rest may come from the CEP. */
export type AddressInput = {
  cep: string
  number: string
  street?: string | null
  complement?: string | null
  district?: string | null
}

export type Destination = OrderAddress & Coordinates

/**
 * Where a delivery goes, decided by the server: the CEP's city, state and point come from the
 * geocoding port (never from the client, whose coordinates are not trusted), the street from the
 * customer when typed (a CEP of a whole town has none) else the CEP's. Called before the
 * storefront's transaction opens, so no connection waits on the providers.
 */
export async function locateAddress(services: Services, address: AddressInput): Promise<Destination> {
  const found = await lookupCep(services.config, services.tokens, address.cep)
  const street = address.street?.trim() || found.street
  if (!street)
    throw new ApiError(400, 'VALIDATION_FAILED', 'This CEP covers a whole town; type the street too.', {
      fields: [{ path: 'json.address.street', message: 'required for this CEP' }],
    })
  return {
    street,
    number: address.number,
    complement: address.complement ?? null,
    district: address.district?.trim() || found.district,
    city: found.city,
    state: found.state,
    cep: found.cep,
    latitude: found.latitude,
    longitude: found.longitude,
  }
}
