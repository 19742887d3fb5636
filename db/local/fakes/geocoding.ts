import { Hono } from 'hono'

/**
 * The geocoding port's two providers, in their documented shapes, over a small table of real São
 * Paulo CEPs (the demo store's street and a few around it, and one far away):
 *
 * - ViaCEP, mounted at `/viacep`: `GET /ws/{cep}/json/` → `{cep, logradouro, complemento, bairro,
 *   localidade, uf, ibge, gia, ddd, siafi}`, or `{"erro": true}` (HTTP 200, as ViaCEP answers) for
 *   a CEP it does not know; a CEP that is not 8 digits is 400.
 * - Nominatim, mounted at `/nominatim`: `GET /search?format=jsonv2&postalcode=…` → `[{place_id,
 *   lat, lon, display_name, …}]` with lat/lon as strings, `[]` when nothing matches.
 *
 * `09999999` is a CEP whose lookups always fail with 500 (tests of "provider down"); the
 * `__control/requests` count lets tests prove the KV cache spares the second lookup.
 */
type Place = { street: string; district: string; city: string; uf: string; lat: number; lon: number }

export const FAKE_CEPS: Record<string, Place> = {
  '01310100': {
    street: 'Avenida Paulista',
    district: 'Bela Vista',
    city: 'São Paulo',
    uf: 'SP',
    lat: -23.5614,
    lon: -46.6559,
  },
  // About 1.1 km from the Paulista store.
  '01305000': {
    street: 'Rua Augusta',
    district: 'Consolação',
    city: 'São Paulo',
    uf: 'SP',
    lat: -23.5555,
    lon: -46.6646,
  },
  // About 4 km from it.
  '05407002': {
    street: 'Rua Cardeal Arcoverde',
    district: 'Pinheiros',
    city: 'São Paulo',
    uf: 'SP',
    lat: -23.5596,
    lon: -46.6879,
  },
  '04538132': {
    street: 'Avenida Brigadeiro Faria Lima',
    district: 'Itaim Bibi',
    city: 'São Paulo',
    uf: 'SP',
    lat: -23.5868,
    lon: -46.6816,
  },
  // Guarulhos airport, about 35 km away: out of every demo band.
  '07190100': {
    street: 'Rodovia Hélio Smidt',
    district: 'Cumbica',
    city: 'Guarulhos',
    uf: 'SP',
    lat: -23.4356,
    lon: -46.4731,
  },
  // A CEP of a whole small town: ViaCEP gives no street.
  '13450000': {
    street: '',
    district: '',
    city: 'Santa Bárbara d’Oeste',
    uf: 'SP',
    lat: -22.7536,
    lon: -47.4139,
  },
}

export const BROKEN_CEP = '09999999'

const counts = { viacep: new Map<string, number>(), nominatim: new Map<string, number>() }
const count = (provider: keyof typeof counts, cep: string) =>
  counts[provider].set(cep, (counts[provider].get(cep) ?? 0) + 1)

export const fakeViaCep = new Hono()

fakeViaCep.get('/ws/:cep/json/', (c) => {
  const cep = c.req.param('cep')
  count('viacep', cep)
  if (!/^[0-9]{8}$/.test(cep)) return c.text('Bad Request', 400)
  if (cep === BROKEN_CEP) return c.text('Internal Server Error', 500)
  const place = FAKE_CEPS[cep]
  if (!place) return c.json({ erro: true })
  return c.json({
    cep: `${cep.slice(0, 5)}-${cep.slice(5)}`,
    logradouro: place.street,
    complemento: '',
    unidade: '',
    bairro: place.district,
    localidade: place.city,
    uf: place.uf,
    estado: 'São Paulo',
    regiao: 'Sudeste',
    ibge: '3550308',
    gia: '1004',
    ddd: '11',
    siafi: '7107',
  })
})

export const fakeNominatim = new Hono()

fakeNominatim.get('/search', (c) => {
  const cep = (c.req.query('postalcode') ?? '').replace(/\D/g, '')
  count('nominatim', cep)
  if (c.req.query('format') !== 'jsonv2') return c.text('format must be jsonv2 here', 400)
  if (cep === BROKEN_CEP) return c.text('Internal Server Error', 500)
  const place = FAKE_CEPS[cep]
  if (!place) return c.json([])
  return c.json([
    {
      place_id: Number(cep),
      licence: 'Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright',
      osm_type: 'way',
      lat: String(place.lat),
      lon: String(place.lon),
      category: 'place',
      type: 'postcode',
      display_name: `${place.street || place.city}, ${place.city}, ${place.uf}, ${cep}, Brasil`,
    },
  ])
})

/** How many lookups each provider answered for a CEP (tests prove the cache with it). */
fakeViaCep.get('/__control/requests', (c) => {
  const cep = c.req.query('cep') ?? ''
  return c.json({ viacep: counts.viacep.get(cep) ?? 0, nominatim: counts.nominatim.get(cep) ?? 0 })
})
