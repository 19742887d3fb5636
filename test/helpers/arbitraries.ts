import fc from 'fast-check'
import { ID_PREFIXES } from '../../db/ids.ts'

/**
 * fast-check arbitraries derived from the OpenAPI document's JSON Schemas, which zod itself writes
 * from the schemas the API validates with (z.toJSONSchema): there is no zod-4 bridge for
 * fast-check, and the converted schemas are the same contract the validator enforces.
 */
export type JsonSchema = { [key: string]: unknown }

export type SchemaContext = {
  /** `components.schemas` of the document, for `$ref`s. */
  components: Record<string, JsonSchema>
  /**
   * Real ids for an id pattern's prefix (`con`, `prp`, ... or `uuid`): a valid id that names an
   * existing row reaches the database instead of stopping at "not found".
   */
  ids: (prefix: string) => readonly string[]
  /** Known good values for a property name (the seeded user's e-mail at login, ...). */
  hints: Readonly<Record<string, readonly unknown[]>>
}

/** Characters that break naive SQL, LIKE patterns, JSON, logs and terminals. */
const NASTY = [
  "'",
  '"',
  '\\',
  '%',
  '_',
  ';',
  '--',
  '/*',
  '\u0000',
  '\u0007',
  '\n',
  '\r',
  '\t',
  '\u2028',
  '\u202e',
  '\ufeff',
  '\ud800',
  '💥',
  'ç',
  'ǅ',
  '{{',
  '${',
  '<script>',
  "' or 1=1 --",
  '%_%',
]
const text = (minLength = 0, maxLength = 40) =>
  fc.string({
    minLength,
    maxLength,
    unit: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...'abcxyz019 -') }, fc.constantFrom(...NASTY), {
      weight: 2,
      arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    }),
  })

const ID_PATTERN = /^\^([a-z]{3})_\[0-9a-z\]\{20\}\$$/
const UUID_FORMATS = new Set(['uuid', 'guid'])
const day = fc.date({
  min: new Date('2000-01-01T00:00:00Z'),
  max: new Date('2099-12-31T00:00:00Z'),
  noInvalidDate: true,
})
/** Mostly around now, where the seeded rows and the retention windows are. */
const recentDay = fc.date({
  min: new Date(Date.now() - 400 * 86400_000),
  max: new Date(Date.now() + 400 * 86400_000),
  noInvalidDate: true,
})
const anyDay = fc.oneof({ weight: 3, arbitrary: recentDay }, day)
const isoDay = (date: Date) => date.toISOString().slice(0, 10)

// The edges (issue 23: the suites missed the year-0 500s). Postgres stores years 1 to 9999 here
// and has no year 0, which ISO 8601 and a JS Date do have; a Date reaches ±275760 and writes
// years past 9999 as `+010000`. Days and instants at and beyond those edges, and ones that are
// none at all, go into valid values too: a schema that takes one must still never answer 5xx.
const pad = (n: number, width = 2) => String(n).padStart(width, '0')
/** ISO 8601's expanded years (`+010000`, `-000001`) or the plain digits a careless client sends. */
const yearText = (year: number, expanded: boolean) =>
  year < 0 ? `-${pad(-year, 6)}` : year > 9999 && expanded ? `+${pad(year, 6)}` : pad(year, 4)
const EDGE_YEARS = [0, 1, 2, 1969, 1970, 2000, 2100, 9998, 9999, 10000, 275760, -1]
const DAY_MS = 86_400_000
/** Real days from `first` on, `count` of them, written as ISO 8601 writes them (`+010000-…`). */
const daysFrom = (first: string, count: number) =>
  fc.integer({ min: 0, max: count - 1 }).map((n) => new Date(Date.parse(`${first}T00:00:00Z`) + n * DAY_MS))
/**
 * Real days of years 0 and 1, and of 9999 and 10000, so two fields (from and to, check-in and
 * check-out) often fall on the same side of an edge in the same period.
 */
const nearEdge = fc.oneof(
  { weight: 3, arbitrary: daysFrom('0000-01-01', 731).map(isoDay) },
  daysFrom('9999-01-01', 731).chain((date) =>
    fc.constantFrom(
      isoDay(date),
      date
        .toISOString()
        .slice(0, 10)
        .replace(/^\+0*(?=\d{5})/, ''),
    ),
  ),
)
const edgeDay = fc.oneof(
  { weight: 3, arbitrary: nearEdge },
  fc.constantFrom(
    '0000-02-29',
    '0001-01-01',
    '9999-12-31',
    '10000-01-01',
    '+010000-01-01',
    '+275760-09-13',
    '+275760-09-14',
    '-000001-12-31',
    '-271821-04-20',
    '2023-02-29',
    '2100-02-29',
    '2024-02-29',
    'infinity',
    '-infinity',
    'epoch',
    'today',
    '2026-1-1',
    '20260101',
  ),
  // Any edge year with a month and day that may not exist (00, 13, 30 February, 32).
  fc
    .tuple(
      fc.constantFrom(...EDGE_YEARS),
      fc.boolean(),
      fc.integer({ min: 0, max: 13 }),
      fc.integer({ min: 0, max: 32 }),
    )
    .map(
      ([year, expanded, month, dayOfMonth]) => `${yearText(year, expanded)}-${pad(month)}-${pad(dayOfMonth)}`,
    ),
)
/**
 * Times and offsets at the edges: ±14:00 and beyond, an offset that moves the day across a year,
 * 24:00, a leap second, no offset, too precise. Mostly well-formed, so the day decides.
 */
const edgeTime = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'T00:00:00Z',
      'T23:59:59.999Z',
      'T23:59:59.999999Z',
      'T00:30:00+01:00',
      'T23:30:00-01:00',
      'T12:00:00+14:00',
      'T12:00:00-12:00',
      'T12:00:00+23:59',
      'T12:00:00-00:00',
      'T12:00:00.1234567890Z',
    ),
  },
  fc.constantFrom('T24:00:00Z', 'T23:59:60Z', 'T12:00:00+24:00', 'T12:00:00', 'T12:00Z', 'T12:00:00+0100'),
)
const edgeInstant = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(edgeDay, edgeTime).map(([d, t]) => `${d}${t}`) },
  fc.constantFrom(
    '+275760-09-13T00:00:00.000Z',
    '+275760-09-13T00:00:00.001Z',
    '-271821-04-20T00:00:00.000Z',
    '1970-01-01T00:00:00Z',
    'infinity',
    'now',
  ),
)
/** `created_at` as the lists' cursors carry it: to the microsecond, in UTC. */
const microsecond = fc
  .tuple(anyDay, fc.integer({ min: 0, max: 999 }))
  .map(([date, micros]) => `${date.toISOString().slice(0, 23)}${pad(micros, 3)}Z`)
/** Integers where int32, the safe integers and bigint end. */
const EDGE_INTEGERS = [
  0,
  -0,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  -(2 ** 31) - 1,
  2 ** 32,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  Number.MIN_SAFE_INTEGER,
  2 ** 63,
  -(2 ** 63),
  1e21,
]
/** Text a number parser might take: NaN, infinities, hex, exponents, other scripts' digits. */
const NUMBER_LIKE = [
  'NaN',
  '-NaN',
  'Infinity',
  '-Infinity',
  '1e400',
  '0x10',
  '1_000',
  ' 1',
  '1 ',
  '+1',
  '-0',
  '00001',
  '٣',
  '１２',
  '9'.repeat(40),
]
const zeros = (prefix: string) => `${prefix}_${'0'.repeat(20)}`

/** A real id of each prefix where the pools have one, else a well-formed one. */
const idOfPrefix = (prefix: string, context: SchemaContext) => {
  const real = context.ids(prefix)
  return real.length > 0
    ? fc.oneof(fc.constantFrom(...real), fc.constant(zeros(prefix)))
    : fc.constant(zeros(prefix))
}

/** Ids the app issues, of every prefix but `own`, and near misses of `own` itself. */
function otherIds(own: string, context: SchemaContext): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .constantFrom(...ID_PREFIXES.filter((p) => p !== own))
        .chain((p) => idOfPrefix(p, context)),
    },
    fc.constantFrom(
      `${own}_${'0'.repeat(19)}`,
      `${own}_${'0'.repeat(21)}`,
      `${own.toUpperCase()}_${'0'.repeat(20)}`,
      `${own}-${'0'.repeat(20)}`,
      `${own}_${'0'.repeat(20)}\n`,
      `${own}_${'0'.repeat(19)}%`,
    ),
  )
}

/** base64url of the JSON of `value`, as the API writes cursors (UTF-8 first: btoa takes bytes). */
const cursorOf = (value: unknown) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(value))))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '')

/**
 * What the lists' sort keys are made of (ids of every prefix, days, instants to the microsecond,
 * metric names), and what they are not: edge and impossible dates, numbers, nulls, nested values,
 * text Postgres cannot store.
 */
function keyPart(context: SchemaContext): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ID_PREFIXES).chain((p) => idOfPrefix(p, context)) },
    { weight: 2, arbitrary: microsecond },
    { weight: 2, arbitrary: anyDay.map(isoDay) },
    edgeDay,
    edgeInstant,
    fc.constantFrom(
      '0000-12-31T23:59:59.999999Z',
      '0001-01-01T00:00:00.000000Z',
      '9999-12-31T23:59:59.999999Z',
      '10000-01-01T00:00:00.000000Z',
    ),
    fc.constantFrom('reach', 'followers', 'day', 'lifetime', 'week'),
    fc.constantFrom<unknown>(...EDGE_INTEGERS, 1.5, null, true, false),
    fc.constantFrom('', 'not-a-date', "' OR 1=1--", 'a\u0000', '\ud800', ...NUMBER_LIKE),
    fc.jsonValue({ maxDepth: 1 }),
  )
}

/**
 * Cursors that decode to JSON of the lengths the lists use (1, 2 or 4 values, and one off) with
 * values of the wrong type or kind, other JSON, and garbage: a cursor is any text up to its
 * schema's length, so all of these are valid values for it.
 */
function cursorValue(context: SchemaContext, maxLength: number): fc.Arbitrary<string> {
  const part = keyPart(context)
  return fc
    .oneof(
      {
        weight: 6,
        arbitrary: fc
          .constantFrom(1, 2, 2, 4, 0, 3, 5)
          .chain((length) => fc.array(part, { minLength: length, maxLength: length }))
          .map(cursorOf),
      },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map(cursorOf) },
      {
        weight: 1,
        arbitrary: fc.oneof(
          fc.constantFrom('not-a-cursor', '%', '=', 'W10', 'bnVsbA', '-_-_'),
          fc.base64String({ maxLength: 40 }),
        ),
      },
    )
    .filter((cursor) => cursor.length <= maxLength)
}

/** Strings at a length limit in characters wider than a byte or a code unit, or that combine. */
const wide = (min: number, max: number) => [
  'x'.repeat(Math.max(min, 1)),
  'é'.repeat(max),
  '💥'.repeat(Math.floor(max / 2)),
  'e\u0301'.repeat(Math.floor(max / 2)),
  'ǅ'.repeat(max),
  '٣'.repeat(max),
  '\u200d'.repeat(max),
  `\u202e${'x'.repeat(max - 1)}`,
  // A surrogate pair cut by the limit: an unpaired surrogate last.
  `${'x'.repeat(max - 1)}\ud83d`,
]
const email = fc
  .tuple(
    fc.stringMatching(/^[a-z0-9]{1,12}$/),
    fc.stringMatching(/^[a-z]{1,10}$/),
    fc.constantFrom('test', 'com', 'io'),
  )
  .map(([local, domain, tld]) => `${local}@${domain}.${tld}`)

const asArray = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value]
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined)

/** The schema of an array's items: its first tuple position's for a tuple, any value when unsaid. */
function itemsOf(schema: JsonSchema): JsonSchema {
  const tuple = Array.isArray(schema.prefixItems)
    ? (schema.prefixItems[0] as JsonSchema | undefined)
    : undefined
  const items = schema.items
  return tuple ?? (typeof items === 'object' && items !== null ? (items as JsonSchema) : {})
}

export function resolve(schema: JsonSchema, context: SchemaContext): JsonSchema {
  const ref = schema.$ref
  if (typeof ref !== 'string') return schema
  const target = context.components[ref.replace('#/components/schemas/', '')]
  if (!target) throw new Error(`unresolvable $ref ${ref}`)
  return resolve(target, context)
}

/** The prefix an id pattern (`^con_[0-9a-z]{20}$`) or uuid format stands for, if any. */
export function idPrefixOf(schema: JsonSchema): string | undefined {
  if (typeof schema.format === 'string' && UUID_FORMATS.has(schema.format)) return 'uuid'
  return typeof schema.pattern === 'string' ? ID_PATTERN.exec(schema.pattern)?.[1] : undefined
}

function stringValue(schema: JsonSchema, context: SchemaContext): fc.Arbitrary<string> {
  const min = num(schema.minLength) ?? 0
  const max = num(schema.maxLength) ?? 200
  const fits = (value: string) => value.length >= min && value.length <= max
  const prefix = idPrefixOf(schema)
  if (prefix) {
    const real = context.ids(prefix)
    const generated =
      prefix === 'uuid' ? fc.uuid({ version: 4 }) : fc.stringMatching(new RegExp(schema.pattern as string))
    return real.length > 0
      ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...real) }, generated)
      : generated
  }
  switch (schema.format) {
    case 'date-time':
      return fc.oneof({ weight: 3, arbitrary: anyDay.map((date) => date.toISOString()) }, edgeInstant)
    case 'date':
      return fc.oneof({ weight: 3, arbitrary: anyDay.map(isoDay) }, edgeDay)
    case 'email':
      return email.filter(fits)
  }
  if (typeof schema.pattern === 'string') {
    // Day-shaped patterns (`^\d{4}-\d{2}-\d{2}$`) accept nonsense days too: keep most of them real.
    const matching = fc.stringMatching(new RegExp(schema.pattern)).filter(fits)
    return /\\d\{4\}-\\d\{2\}-\\d\{2\}/.test(schema.pattern)
      ? fc.oneof({ weight: 4, arbitrary: anyDay.map(isoDay) }, edgeDay, matching)
      : matching
  }
  const generous = Math.min(max, 40)
  return fc.oneof(
    { weight: 8, arbitrary: text(min, generous) },
    // The boundaries themselves, and long text of any script.
    fc.constantFrom(...wide(min, max)).filter(fits),
    fc
      .string({ unit: 'grapheme', minLength: min, maxLength: Math.max(min, Math.floor(max / 4)) })
      .filter(fits),
  )
}

/** Values the schema accepts (best effort: patterns and formats are honoured, lengths are). */
export function validValue(raw: JsonSchema, context: SchemaContext, name?: string): fc.Arbitrary<unknown> {
  const schema = resolve(raw, context)
  if (name === 'cursor' && schema.type === 'string') return cursorValue(context, num(schema.maxLength) ?? 200)
  const hinted = name ? context.hints[name] : undefined
  const value = validByShape(schema, context)
  return hinted && hinted.length > 0
    ? fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...hinted) }, value)
    : value
}

function validByShape(schema: JsonSchema, context: SchemaContext): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const)
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum)
  const alternatives = asArray(schema.anyOf ?? schema.oneOf) as JsonSchema[]
  if (alternatives.length > 0) return fc.oneof(...alternatives.map((option) => validValue(option, context)))
  const types = asArray(schema.type) as string[]
  if (types.length > 1) return fc.oneof(...types.map((type) => validValue({ ...schema, type }, context)))
  switch (types[0]) {
    case 'null':
      return fc.constant(null)
    case 'boolean':
      return fc.boolean()
    case 'integer': {
      const min = num(schema.minimum) ?? num(schema.exclusiveMinimum) ?? -1_000_000
      const max = num(schema.maximum) ?? num(schema.exclusiveMaximum) ?? 1_000_000
      const edges = EDGE_INTEGERS.filter((n) => n >= min && n <= max)
      return fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max, ...edges))
    }
    case 'number':
      return fc.double({
        min: num(schema.minimum) ?? -1e9,
        max: num(schema.maximum) ?? 1e9,
        noNaN: true,
        noDefaultInfinity: true,
      })
    case 'string':
      return stringValue(schema, context)
    case 'array': {
      const minLength = num(schema.minItems) ?? 0
      const maxLength = Math.min(num(schema.maxItems) ?? 4, minLength + 4)
      // A tuple (zod's z.tuple): prefixItems, one schema per position, and `items: false` after them.
      if (Array.isArray(schema.prefixItems))
        return fc.tuple(...(schema.prefixItems as JsonSchema[]).map((item) => validValue(item, context)))
      return fc.array(validValue(itemsOf(schema), context), { minLength, maxLength })
    }
    case 'object':
      return objectValue(schema, context)
  }
  return fc.jsonValue({ maxDepth: 2 })
}

function objectValue(schema: JsonSchema, context: SchemaContext): fc.Arbitrary<Record<string, unknown>> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>
  const model = Object.fromEntries(
    Object.entries(properties).map(([key, inner]) => [key, validValue(inner, context, key)]),
  )
  return fc.record(model, { requiredKeys: (schema.required ?? []) as string[], noNullPrototype: true })
}

/** Values the schema should refuse: wrong types, out of range, overlong, pattern-breaking. */
export function invalidValue(raw: JsonSchema, context: SchemaContext): fc.Arbitrary<unknown> {
  const schema = resolve(raw, context)
  const wrongType = fc.constantFrom<unknown>(null, true, 0, -1, 1.5, '', 'true', [], {}, [null], { $gt: '' })
  const specific: fc.Arbitrary<unknown>[] = []
  const types = asArray(schema.type)
  if (Array.isArray(schema.enum)) {
    specific.push(
      fc.constantFrom(...schema.enum.map((value) => `${String(value).toUpperCase()} `), 'other', ''),
    )
  }
  if (types.includes('integer') || types.includes('number')) {
    const min = num(schema.minimum)
    const max = num(schema.maximum)
    specific.push(
      fc.constantFrom<unknown>(
        ...(min === undefined ? [] : [min - 1]),
        ...(max === undefined ? [] : [max + 1]),
        ...EDGE_INTEGERS.filter((n) => (min !== undefined && n < min) || (max !== undefined && n > max)),
        1e308,
        0.5,
        '1',
        '1e3',
        ...NUMBER_LIKE,
      ),
    )
  }
  if (types.includes('string')) {
    const max = num(schema.maxLength) ?? 200
    const min = num(schema.minLength) ?? 0
    specific.push(
      text(0, 30),
      fc.constantFrom(
        'x'.repeat(max + 1),
        '€'.repeat(max + 1),
        'x'.repeat(10_000),
        ...(min > 0 ? ['x'.repeat(min - 1)] : []),
        '\u0000',
        'a\u0000b',
        '\ud800',
        '2026-02-30',
        '2026-13-01T00:00:00Z',
        '0000-00-00',
        '../../etc/passwd',
        "x' or '1'='1",
        '%',
        '_%',
        ...NUMBER_LIKE,
      ),
      edgeDay,
      edgeInstant,
    )
    const prefix = idPrefixOf(schema)
    if (prefix && prefix !== 'uuid') specific.push(otherIds(prefix, context))
  }
  if (types.includes('array')) {
    specific.push(
      fc.constantFrom<unknown>([], Array(5_000).fill('x'), [{}], 'not-an-array'),
      fc.array(invalidValue(itemsOf(schema), context), { minLength: 1, maxLength: 3 }),
    )
  }
  if (types.includes('object')) {
    specific.push(fc.constantFrom<unknown>([], 'object', JSON.parse('{"__proto__":{"admin":true}}')))
  }
  return fc.oneof(wrongType, ...specific)
}

/** Whether a generator gives what the schema accepts or what it must refuse. */
export type Mode = 'valid' | 'invalid'

export type BodyCase = { kind: string; contentType?: string; body?: string }

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'tenant_id', 'id', 'role', 'status']

/** Adds one unexpected key to a JSON object's text (a key like `__proto__` survives only as text). */
const withExtraKey = (json: string, key: string, value: unknown) =>
  json === '{}'
    ? `{${JSON.stringify(key)}:${JSON.stringify(value)}}`
    : `{${JSON.stringify(key)}:${JSON.stringify(value)},${json.slice(1)}`

/** Built once: a megabyte of text per case would cost more than the request it is sent in. */
const HUGE_BODIES = fc.constantFrom<BodyCase>(
  { kind: 'huge array', contentType: 'application/json', body: JSON.stringify(Array(20_000).fill({ a: 1 })) },
  {
    kind: 'over the body limit',
    contentType: 'application/json',
    body: `{"a":"${'x'.repeat(1024 * 1024 + 10)}"}`,
  },
)

/**
 * Request bodies for a JSON body schema: valid ones, or every kind of wrong one. Without a schema
 * the route takes no body: none when valid, else one it should ignore or refuse.
 */
export function bodyCase(
  schema: JsonSchema | undefined,
  context: SchemaContext,
  mode: Mode,
): fc.Arbitrary<BodyCase> {
  const json = 'application/json'
  const garbage = fc.oneof(
    fc.constantFrom('{', '{"a":', "{'a':1}", '[1,]', 'null', 'undefined', 'NaN', '\u0000', '{"a":1}{"b":2}'),
    fc.constant(`${'['.repeat(3000)}${']'.repeat(3000)}`),
    fc.string({ maxLength: 30 }),
  )
  const malformed = garbage.map((body): BodyCase => ({ kind: 'malformed JSON', contentType: json, body }))
  const wrongType = fc
    .tuple(
      fc.constantFrom(
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/jsonx',
        'application/xml',
        '',
      ),
      fc.constantFrom('{}', 'a=1', '<a/>'),
    )
    .map(
      ([contentType, body]): BodyCase => ({
        kind: 'wrong content-type',
        contentType: contentType || undefined,
        body,
      }),
    )
  if (!schema) {
    if (mode === 'valid') return fc.constant<BodyCase>({ kind: 'no body' })
    return fc.oneof(
      {
        weight: 2,
        arbitrary: fc.jsonValue({ maxDepth: 2 }).map(
          (value): BodyCase => ({
            kind: 'unexpected body',
            contentType: json,
            body: JSON.stringify(value),
          }),
        ),
      },
      malformed,
      wrongType,
    )
  }
  const resolved = resolve(schema, context)
  const valid = validValue(resolved, context)
  const variants = (asArray(resolved.anyOf ?? resolved.oneOf) as JsonSchema[]).map((s) => resolve(s, context))
  const objects = variants.length > 0 ? variants : [resolved]
  const fieldMutated = fc.constantFrom(...objects).chain((object) => {
    const keys = Object.keys((object.properties ?? {}) as Record<string, JsonSchema>)
    if (keys.length === 0) return fc.constant<BodyCase>({ kind: 'no fields', contentType: json, body: '{}' })
    return fc.tuple(validValue(object, context), fc.constantFrom(...keys)).chain(([body, key]) =>
      invalidValue(((object.properties as Record<string, JsonSchema>)[key] ?? {}) as JsonSchema, context).map(
        (bad): BodyCase => ({
          kind: `invalid ${key}`,
          contentType: json,
          body: JSON.stringify({ ...(body as object), [key]: bad }),
        }),
      ),
    )
  })
  const missing = fc.tuple(valid, fc.nat()).map(([body, n]): BodyCase => {
    const object = { ...(body as Record<string, unknown>) }
    const keys = Object.keys(object)
    if (keys.length > 0) delete object[keys[n % keys.length] as string]
    return { kind: 'missing field', contentType: json, body: JSON.stringify(object) }
  })
  const extra = fc.tuple(valid, fc.constantFrom(...PROTO_KEYS), fc.jsonValue({ maxDepth: 1 })).map(
    ([body, key, value]): BodyCase => ({
      kind: `extra ${key}`,
      contentType: json,
      body: withExtraKey(JSON.stringify(body), key, key === '__proto__' ? { polluted: true, value } : value),
    }),
  )
  const notAnObject = fc
    .oneof(
      fc.constantFrom<unknown>(null, [], 'body', 42, true),
      valid.map((body) => [body]),
    )
    .map((body): BodyCase => ({ kind: 'not an object', contentType: json, body: JSON.stringify(body) }))
  if (mode === 'valid')
    return valid.map((body): BodyCase => ({ kind: 'valid', contentType: json, body: JSON.stringify(body) }))
  return fc.oneof(
    { weight: 4, arbitrary: fieldMutated },
    { weight: 1, arbitrary: missing },
    // Unknown keys are stripped by zod: such a body may still be valid and reach the database.
    { weight: 2, arbitrary: extra },
    { weight: 1, arbitrary: notAnObject },
    { weight: 1, arbitrary: malformed },
    { weight: 1, arbitrary: wrongType },
    { weight: 1, arbitrary: fc.constant<BodyCase>({ kind: 'no body', contentType: json }) },
    // Rare: costly to send, and one case of each is enough to prove the limit.
    { weight: 1, arbitrary: fc.oneof({ weight: 3, arbitrary: fieldMutated }, HUGE_BODIES) },
  )
}

export type Parameter = { name: string; in: string; required: boolean; schema: JsonSchema }

/** A lone surrogate as the bytes a careless client would send (encodeURIComponent throws on it). */
const wtf8 = (ch: string) => {
  const code = ch.charCodeAt(0)
  return `%ED%${(0x80 + ((code >> 6) & 0x3f)).toString(16).toUpperCase()}%${(0x80 + (code & 0x3f)).toString(16).toUpperCase()}`
}

/** Percent-encodes anything, lone surrogates included. */
const encode = (value: unknown): string => {
  const raw = typeof value === 'string' ? value : JSON.stringify(value)
  if (raw.isWellFormed()) return encodeURIComponent(raw)
  return [...raw].map((ch) => (ch.isWellFormed() ? encodeURIComponent(ch) : wtf8(ch))).join('')
}

/**
 * A query string for the documented query parameters. Valid: each optional parameter present or
 * not, with a valid value. Invalid: one parameter wrong (bad value, repeated), or garbage such as
 * broken percent-encoding and unknown or prototype-polluting names.
 */
export function queryCase(
  parameters: readonly Parameter[],
  context: SchemaContext,
  mode: Mode,
): fc.Arbitrary<string> {
  const query = parameters.filter((p) => p.in === 'query')
  const pair = (p: Parameter, values: unknown[]) =>
    values.map((value) => `${encode(p.name)}=${encode(value)}`).join('&')
  const valid = (p: Parameter) =>
    validValue(p.schema, context, p.name).map((v) => pair(p, Array.isArray(v) ? v : [v]))
  const pairs = query.map((p) => (p.required ? valid(p) : fc.option(valid(p), { nil: '', freq: 2 })))
  const join = (parts: string[]) => {
    const joined = parts.filter(Boolean).join('&')
    return joined ? `?${joined}` : ''
  }
  const validQuery = fc.tuple(...pairs).map(join)
  if (mode === 'valid') return validQuery
  const noise = fc.oneof(
    fc.constantFrom(
      '%',
      '%zz',
      'a=%E0%A4%A',
      '&&=&',
      'limit=1&limit=2',
      '__proto__[x]=1',
      'constructor=1',
      `x=${'y'.repeat(5000)}`,
      'from=2026-01-01T00:00:00Z&to=1999-01-01T00:00:00Z',
    ),
    fc.tuple(text(1, 10), text(0, 20)).map(([k, v]) => `${encode(k)}=${encode(v)}`),
  )
  if (query.length === 0) return noise.map((extra) => `?${extra}`)
  const wrong = fc.nat({ max: query.length - 1 }).chain((index) => {
    const p = query[index] as Parameter
    const bad = fc.oneof(
      { weight: 4, arbitrary: invalidValue(p.schema, context).map((v) => pair(p, [v])) },
      fc.array(validValue(p.schema, context, p.name), { minLength: 2, maxLength: 3 }).map((v) => pair(p, v)),
      // A required parameter left out.
      fc.constant(''),
    )
    return fc.tuple(...pairs.map((arb, i) => (i === index ? bad : arb))).map(join)
  })
  return fc.oneof(
    { weight: 4, arbitrary: wrong },
    fc.tuple(validQuery, noise).map(([q, extra]) => (q ? `${q}&${extra}` : `?${extra}`)),
  )
}

/**
 * One path parameter. Valid: well-formed, mostly a real id of the fuzzing tenant. Invalid:
 * another tenant's id, an unknown well-formed id, or garbage.
 */
export function pathValue(
  parameter: Parameter,
  context: SchemaContext,
  foreign: (prefix: string) => readonly string[],
  mode: Mode,
): fc.Arbitrary<string> {
  const schema = resolve(parameter.schema, context)
  const prefix = idPrefixOf(schema)
  const theirs = prefix ? foreign(prefix) : []
  const garbage = fc.oneof(
    text(1, 30).map(encode),
    fc.constantFrom(
      '%',
      '%zz',
      '%00',
      '..',
      '.%2e',
      'null',
      'undefined',
      '0',
      '-1',
      '1e309',
      `${prefix ?? 'x'}_`,
      encodeURIComponent("' or 1=1 --"),
      'x'.repeat(3000),
      encodeURIComponent('ten_0000000000000000000%'),
    ),
  )
  if (mode === 'valid') return validValue(schema, context).map(encode)
  return fc.oneof(
    { weight: 3, arbitrary: garbage },
    ...(theirs.length > 0 ? [{ weight: 2, arbitrary: fc.constantFrom(...theirs) }] : []),
    ...(prefix === undefined || prefix === 'uuid'
      ? []
      : [{ weight: 2, arbitrary: otherIds(prefix, context).map(encode) }]),
    ...(prefix === undefined
      ? []
      : [{ weight: 1, arbitrary: validValue(schema, { ...context, ids: () => [] }).map(encode) }]),
  )
}
