import fc from 'fast-check'

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
      return anyDay.map((date) => date.toISOString())
    case 'date':
      return anyDay.map((date) => date.toISOString().slice(0, 10))
    case 'email':
      return email.filter(fits)
  }
  if (typeof schema.pattern === 'string') {
    // Day-shaped patterns (`^\d{4}-\d{2}-\d{2}$`) accept nonsense days too: keep most of them real.
    const matching = fc.stringMatching(new RegExp(schema.pattern)).filter(fits)
    return /\\d\{4\}-\\d\{2\}-\\d\{2\}/.test(schema.pattern)
      ? fc.oneof({ weight: 4, arbitrary: anyDay.map((date) => date.toISOString().slice(0, 10)) }, matching)
      : matching
  }
  const generous = Math.min(max, 40)
  return fc.oneof(
    { weight: 8, arbitrary: text(min, generous) },
    // The boundaries themselves.
    fc.constantFrom('x'.repeat(Math.max(min, 1)), 'é'.repeat(max)).filter(fits),
  )
}

/** Values the schema accepts (best effort: patterns and formats are honoured, lengths are). */
export function validValue(raw: JsonSchema, context: SchemaContext, name?: string): fc.Arbitrary<unknown> {
  const schema = resolve(raw, context)
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
      return fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max))
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
      return fc.array(validValue((schema.items ?? {}) as JsonSchema, context), { minLength, maxLength })
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
        2 ** 53,
        -(2 ** 63),
        1e308,
        0.5,
        '1',
        '1e3',
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
      ),
    )
  }
  if (types.includes('array')) {
    specific.push(
      fc.constantFrom<unknown>([], Array(5_000).fill('x'), [{}], 'not-an-array'),
      fc.array(invalidValue((schema.items ?? {}) as JsonSchema, context), { minLength: 1, maxLength: 3 }),
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
  const huge = fc.constantFrom<BodyCase>(
    { kind: 'huge array', contentType: json, body: JSON.stringify(Array(20_000).fill({ a: 1 })) },
    { kind: 'over the body limit', contentType: json, body: `{"a":"${'x'.repeat(1024 * 1024 + 10)}"}` },
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
    { weight: 1, arbitrary: fc.oneof({ weight: 3, arbitrary: fieldMutated }, huge) },
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
    ...(prefix === undefined
      ? []
      : [{ weight: 1, arbitrary: validValue(schema, { ...context, ids: () => [] }).map(encode) }]),
  )
}
