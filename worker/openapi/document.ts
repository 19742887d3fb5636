import type { RouterRoute } from 'hono/types'
import { type ZodType, z } from 'zod'
import { authenticate } from '../middleware/authenticate.ts'
import { errorEnvelopeSchema, errorResponses, securitySchemes } from './components.ts'
import { docOf, type RouteDoc, type Validation, validationOf } from './registry.ts'

type JsonSchema = { [key: string]: unknown }
type Parameter = {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required: boolean
  description?: string
  schema: JsonSchema
}
type Operation = {
  operationId: string
  summary?: string
  description?: string
  tags: string[]
  security: Record<string, string[]>[]
  parameters?: Parameter[]
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> }
  responses: Record<string, unknown>
}

export type OpenApiDocument = {
  openapi: string
  info: { title: string; version: string; description: string }
  tags: { name: string }[]
  paths: Record<string, Record<string, Operation>>
  components: {
    schemas: Record<string, JsonSchema>
    responses: typeof errorResponses
    securitySchemes: typeof securitySchemes
  }
}

/** The part of the API the document covers. */
export const API_PREFIX = '/api/v1'
/**
 * The public storefront API (commerce, docs/commerce.md): no credential, the tenant named by the
 * `X-Tenant` header. Documented with the rest so the security matrix and the fuzz suites cover it.
 */
export const SHOP_API_PREFIX = '/shop-api/v1'

/** Whether a route's path belongs in the document (a wildcard, such as the storefront's CORS preflight, is no operation). */
export const isDocumentedPath = (path: string) =>
  !path.includes('*') &&
  [API_PREFIX, SHOP_API_PREFIX].some((prefix) => path === prefix || path.startsWith(`${prefix}/`))

/** The path after its API's prefix, with the storefront's named as such (`/shop/stores`). */
const localPath = (path: string) =>
  path.startsWith(SHOP_API_PREFIX)
    ? `/shop${path.slice(SHOP_API_PREFIX.length)}`
    : path.slice(API_PREFIX.length)

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])
/** `:name`, optionally with a regex (`:id{[0-9]+}`) or optional (`:id?`), as Hono writes it. */
const PATH_PARAM = /:(\w+)(?:\{[^}]*\})?\??/g
const PARAMETER_TARGETS = { param: 'path', query: 'query', header: 'header', cookie: 'cookie' } as const
const BODY_TYPES: Partial<Record<Validation['target'], string>> = {
  json: 'application/json',
  form: 'application/x-www-form-urlencoded',
}

const DESCRIPTION = `The Integra API: tenants' social metrics, connections, team and the admin central.

- **Authentication**: \`Authorization: Bearer <token>\` with an access token from \`POST /api/v1/auth/login\` (15 minutes; refresh with \`POST /api/v1/auth/refresh\`) or a tenant API key \`ik_…\`. Permissions are checked per route and role; another tenant's ids read as unknown ones (404).
- **Errors**: always \`{"error":{"code","message","requestId"}}\`, with \`fields\` for \`400 VALIDATION_FAILED\` and \`details\` where the caller can act on data (the next free slots, the approved templates, recomputed totals).
- **JSON** in snake_case; request bodies must be \`application/json\` (1 MiB at most).
- **Lists**: \`limit\` and an opaque \`cursor\`; the next page's cursor is \`next_cursor\` (null on the last page).
- **Rate limit**: 600 authenticated requests a minute per API key or tenant (\`429 RATE_LIMITED\` with \`Retry-After\`).
- **Storefront API** (\`/shop-api/v1\`, tag \`shop\`): public, no credential; the shop is named by the \`X-Tenant\` header (its slug), requests are rate-limited per client address, and CORS is open to the tenant's configured storefront origins.

This document is generated from the zod schemas the API validates with.`

/** Hono's `/a/:id/b` as OpenAPI's `/a/{id}/b`. */
export const openApiPath = (path: string) => path.replace(PATH_PARAM, '{$1}')

/** `get /api/v1/connections/:id/runs` → `getConnectionsByIdRuns`: stable, unique per method and path. */
function operationIdOf(method: string, path: string): string {
  const words = localPath(path)
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      const param = /^:(\w+)/.exec(segment)
      return param ? `by-${param[1]}` : segment
    })
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
  return method + words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('')
}

/** Whether a middleware registered with `app.use(pattern)` runs for `path`. */
function covers(pattern: string, path: string): boolean {
  if (pattern === path || pattern === '*' || pattern === '/*') return true
  return pattern.endsWith('/*') && path.startsWith(pattern.slice(0, -1))
}

/**
 * The document's JSON Schema for a zod schema: what a client sends (`input`: defaults optional,
 * before transforms) or what it receives (`output`). Local `$defs` move to the components.
 */
class SchemaWriter {
  readonly components: Record<string, JsonSchema> = {}

  convert(schema: ZodType, io: 'input' | 'output', owner: string): JsonSchema {
    const {
      $schema: _,
      $defs,
      ...json
    } = z.toJSONSchema(schema, {
      io,
      target: 'draft-2020-12',
      unrepresentable: 'any',
    }) as JsonSchema & { $defs?: Record<string, JsonSchema> }
    const renamed = new Map<string, string>()
    for (const [name, definition] of Object.entries($defs ?? {})) {
      const existing = this.components[name]
      const target =
        existing === undefined || JSON.stringify(existing) === JSON.stringify(definition)
          ? name
          : `${owner}_${name}`
      renamed.set(`#/$defs/${name}`, `#/components/schemas/${target}`)
      this.components[target] = definition
    }
    return renamed.size === 0 ? json : (rewriteRefs(json, renamed) as JsonSchema)
  }
}

function rewriteRefs(value: unknown, renamed: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, renamed))
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        key === '$ref' && typeof inner === 'string'
          ? (renamed.get(inner) ?? inner)
          : rewriteRefs(inner, renamed),
      ]),
    )
  }
  return value
}

/** One parameter per property of an object schema (query, path, header or cookie). */
function parametersOf(json: JsonSchema, location: Parameter['in']): Parameter[] {
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>
  const required = new Set((json.required ?? []) as string[])
  return Object.entries(properties).map(([name, { description, ...schema }]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    ...(typeof description === 'string' ? { description } : {}),
    schema,
  }))
}

function operationOf(
  method: string,
  path: string,
  handlers: readonly object[],
  writer: SchemaWriter,
): Operation {
  const operationId = operationIdOf(method, path)
  const doc: RouteDoc = Object.assign({}, ...handlers.map((handler) => docOf(handler) ?? {}))
  const validations = handlers.flatMap((handler) => validationOf(handler) ?? [])
  const authenticated = handlers.includes(authenticate)

  // Every path parameter is listed, as a plain string unless a validator says more.
  const parameters = new Map<string, Parameter>()
  for (const [, name] of path.matchAll(PATH_PARAM)) {
    parameters.set(`path:${name}`, {
      name: name as string,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    })
  }
  let requestBody: Operation['requestBody']
  for (const { target, schema } of validations) {
    const json = writer.convert(schema, 'input', `${operationId}_${target}`)
    const location = PARAMETER_TARGETS[target as keyof typeof PARAMETER_TARGETS]
    if (location) {
      for (const parameter of parametersOf(json, location))
        parameters.set(`${location}:${parameter.name}`, parameter)
    } else {
      const type = BODY_TYPES[target] ?? 'application/octet-stream'
      requestBody = { required: true, content: { ...requestBody?.content, [type]: { schema: json } } }
    }
  }

  const responses: Record<string, unknown> = {}
  for (const [status, response] of Object.entries(doc.responses ?? {})) {
    const schema = response.schema
      ? writer.convert(response.schema, 'output', `${operationId}_${status}`)
      : undefined
    const types = response.contentTypes ?? (schema ? ['application/json'] : [])
    responses[status] = {
      description: response.description,
      ...(types.length > 0
        ? { content: Object.fromEntries(types.map((type) => [type, schema ? { schema } : {}])) }
        : {}),
    }
  }
  if (Object.keys(responses).length === 0) responses['2XX'] = { description: 'Success.' }
  if (validations.length > 0) responses['400'] ??= { $ref: '#/components/responses/ValidationFailed' }
  if (authenticated) {
    responses['401'] ??= { $ref: '#/components/responses/Unauthenticated' }
    responses['429'] ??= { $ref: '#/components/responses/RateLimited' }
  }
  responses.default = { $ref: '#/components/responses/Error' }

  const segments = localPath(path).split('/').filter(Boolean)
  return {
    operationId,
    ...(doc.summary ? { summary: doc.summary } : {}),
    ...(doc.description ? { description: doc.description } : {}),
    tags: [...(doc.tags ?? [segments[0] ?? 'api'])],
    // An empty list says "no credentials" explicitly; there is no document-wide default.
    security: authenticated ? [{ accessToken: [] }, { apiKey: [] }] : [],
    ...(parameters.size > 0 ? { parameters: [...parameters.values()] } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses,
  }
}

/**
 * The OpenAPI 3.1 document of every `/api/v1` route registered on the app, read from Hono's
 * route list: each route's handlers carry what `validate()` checks, whether `authenticate` runs
 * and, optionally, a `describe()`d summary and response schemas. A route added anywhere is
 * listed without touching this file.
 */
export function buildOpenApiDocument(routes: readonly RouterRoute[]): OpenApiDocument {
  const middleware = routes.filter((route) => route.method === 'ALL')
  const operations = new Map<string, { method: string; path: string; handlers: object[] }>()
  for (const route of routes) {
    const method = route.method.toLowerCase()
    if (!METHODS.has(method) || !isDocumentedPath(route.path)) continue
    const key = `${method} ${route.path}`
    let operation = operations.get(key)
    if (!operation) {
      const shared = middleware.filter((m) => covers(m.path, route.path)).map((m) => m.handler)
      operation = { method, path: route.path, handlers: shared }
      operations.set(key, operation)
    }
    operation.handlers.push(route.handler)
  }

  const writer = new SchemaWriter()
  const paths: OpenApiDocument['paths'] = {}
  for (const { method, path, handlers } of operations.values()) {
    const key = openApiPath(path)
    paths[key] = { ...paths[key], [method]: operationOf(method, path, handlers, writer) }
  }
  // In the order routes are registered (sign-in first, the admin central later), as the reference lists them.
  const tags = [
    ...new Set(Object.values(paths).flatMap((item) => Object.values(item).flatMap((op) => op.tags))),
  ]
  return {
    openapi: '3.1.1',
    info: { title: 'Integra API', version: '1', description: DESCRIPTION },
    tags: tags.map((name) => ({ name })),
    paths,
    components: {
      schemas: {
        Error: writer.convert(errorEnvelopeSchema, 'output', 'Error'),
        ...writer.components,
      },
      responses: errorResponses,
      securitySchemes,
    },
  }
}
