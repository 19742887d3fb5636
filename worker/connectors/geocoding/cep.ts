import { z } from 'zod'
import type { Config } from '../../config.ts'
import { ApiError } from '../../errors.ts'
import type { KeyValueStore } from '../../runtime/ports.ts'
import { platformHttp } from '../http.ts'

/**
 * The geocoding port: a Brazilian postal code (CEP) → its street, district, city, state and a
 * point. Two public providers in their documented shapes, each a base URL (the local fake in dev
 * and tests, db/local/fakes/geocoding.ts):
 *
 * - ViaCEP (`GET /ws/{cep}/json/`, https://viacep.com.br): the address of a CEP, or `{"erro": true}`
 *   for one that does not exist. It has no coordinates.
 * - Nominatim, OpenStreetMap's geocoder (`GET /search?format=jsonv2&postalcode=…`,
 *   https://nominatim.org/release-docs/latest/api/Search/): `[{ "lat": "…", "lon": "…" }]`, the
 *   point the shipping bands are priced on (Haversine from the store).
 *
 * Answers are cached in KV for 30 days under `cep:<digits>` (CEPs hardly move; Nominatim asks for
 * at most one request a second), so a storefront asks each provider once per CEP. Refusals are
 * clear: an unknown CEP is 422 CEP_NOT_FOUND; a provider that fails or times out is 503
 * GEOCODING_UNAVAILABLE with Retry-After, never a 500 and never a cached failure.
 */
export type CepAddress = {
  cep: string
  street: string | null
  district: string | null
  city: string
  state: string
  latitude: number
  longitude: number
}

const CACHE_TTL_SECONDS = 30 * 24 * 3600
const USER_AGENT = 'Integra storefront (shipping quotes)'

const viaCep = z.union([
  z.object({ erro: z.union([z.literal(true), z.literal('true')]) }),
  z.object({
    cep: z.string(),
    logradouro: z.string().default(''),
    bairro: z.string().default(''),
    localidade: z.string().min(1),
    uf: z.string().length(2),
  }),
])

const nominatim = z.array(
  z.object({ lat: z.coerce.number().min(-90).max(90), lon: z.coerce.number().min(-180).max(180) }),
)

const cached = z.object({
  cep: z.string(),
  street: z.string().nullable(),
  district: z.string().nullable(),
  city: z.string(),
  state: z.string(),
  latitude: z.number(),
  longitude: z.number(),
})

const notFound = (cep: string) =>
  new ApiError(422, 'CEP_NOT_FOUND', 'This CEP does not exist; check the postal code.', {
    details: { cep },
  })

const unavailable = () =>
  new ApiError(503, 'GEOCODING_UNAVAILABLE', 'The address service is unavailable; retry in a few seconds.', {
    headers: { 'Retry-After': '10' },
  })

/** The address and point of `cep` (8 digits), from the cache or the providers. */
export async function lookupCep(config: Config, cache: KeyValueStore, cep: string): Promise<CepAddress> {
  const key = `cep:${cep}`
  const hit = cached.safeParse(JSON.parse((await cache.get(key)) ?? 'null'))
  if (hit.success) return hit.data
  const address = await askViaCep(config, cep)
  const point = await askNominatim(config, address)
  const found: CepAddress = { ...address, ...point }
  await cache.put(key, JSON.stringify(found), { expirationTtl: CACHE_TTL_SECONDS })
  return found
}

async function getJson(baseUrl: string, path: string, config: Config): Promise<unknown> {
  const http = platformHttp({ baseUrl, timeoutMs: Math.min(config.PLATFORM_TIMEOUT_MS, 5_000), budget: 1 })
  const response = await http
    .fetch(path, { headers: { accept: 'application/json', 'user-agent': USER_AGENT } })
    .catch(() => {
      throw unavailable()
    })
  if (!response.ok) throw unavailable()
  return response.json().catch(() => {
    throw unavailable()
  })
}

async function askViaCep(config: Config, cep: string) {
  const parsed = viaCep.safeParse(await getJson(config.CEP_API_URL, `ws/${cep}/json/`, config))
  if (!parsed.success) throw unavailable()
  if ('erro' in parsed.data) throw notFound(cep)
  const { logradouro, bairro, localidade, uf } = parsed.data
  return {
    cep,
    street: logradouro || null,
    district: bairro || null,
    city: localidade,
    state: uf.toUpperCase(),
  }
}

async function askNominatim(config: Config, address: { cep: string; city: string; state: string }) {
  const query = new URLSearchParams({
    format: 'jsonv2',
    limit: '1',
    countrycodes: 'br',
    postalcode: `${address.cep.slice(0, 5)}-${address.cep.slice(5)}`,
    city: address.city,
    state: address.state,
  })
  const parsed = nominatim.safeParse(await getJson(config.GEOCODER_API_URL, `search?${query}`, config))
  if (!parsed.success) throw unavailable()
  const [first] = parsed.data
  // ViaCEP knows the CEP but the map does not place it: as unknown as far as shipping goes.
  if (!first) throw notFound(address.cep)
  return { latitude: first.lat, longitude: first.lon }
}
