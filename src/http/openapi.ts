import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { BEARER_SCHEME } from '../auth/caller'

type JsonObject = Record<string, any>

/** The version the document declares; toOpenApi30 translates the route schemas to its dialect. */
export const OPENAPI_VERSION = '3.0.3'

/**
 * Tags whose routes are not entity routes: their description cannot be derived from the
 * routes themselves. Entity tags are described from the operations that carry them.
 */
const TAG_DESCRIPTIONS: Record<string, string> = {
  health:
    'Probes for load balancers and orchestrators: live answers while the process serves HTTP, ready only while the database answers through the pool.'
}

/**
 * OpenAPI 3 from the same route schemas that validate and serialise, served at
 * `/openapi.json`, with Swagger UI at `/docs`. Registered before the routes so
 * @fastify/swagger sees every one of them.
 */
async function openapi(app: FastifyInstance) {
  await app.register(swagger, {
    // Shared schemas keep their $id as component name (Book, BookCreate, Problem) instead of def-N.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`)
    },
    openapi: {
      openapi: OPENAPI_VERSION,
      info: {
        title: 'Lifeguard',
        version: '0.1.0',
        description: 'REST routes for every exposed entity, over a guarded MySQL/MariaDB pool.'
      },
      // Relative: the service runs behind whatever host and proxy an operator puts in front
      // of it, so the only URL that is always right is "where this document was served from".
      servers: [{ url: '/', description: 'the server that serves this document' }],
      // Routes name it in their own `security` (src/rest/route-access.ts); declared only when tokens are checked.
      ...(app.authenticationEnforced && {
        components: { securitySchemes: { [BEARER_SCHEME]: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } }
      })
    },
    transform: ({ schema, url, route }) => {
      if (!schema) return { schema, url }
      const documented = withBulkAnswers(withQueryFamilies(schema as JsonObject))
      // One route with several methods becomes several operations sharing this schema: one
      // operationId for all of them would be a duplicate, so such a route keeps none.
      if (documented.operationId !== undefined || typeof route.method !== 'string') return { schema: documented, url }
      return { schema: { ...documented, operationId: defaultOperationId(route.method, url) }, url }
    },
    // Only the `openapi` branch runs: this plugin never asks @fastify/swagger for Swagger 2.
    transformObject: (document) => ('openapiObject' in document ? toOpenApi30(document.openapiObject) : document.swaggerObject)
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}

interface QueryFamily {
  name: string
  spelling: string
  description: string
  keys: string[]
  patterns: string[]
  example: Record<string, string>
}

/**
 * A querystring schema that groups its keys into families (`x-families`: the list grammar,
 * src/rest/list/grammar.ts) is documented as one parameter per family instead of one per key:
 * a list with dozens of `where.<field>.<op>` keys is a handful of parameters, and a family
 * whose keys carry a free part (`where.or.<label>...`) can be documented at all. A family of
 * several keys is an object parameter in form style, exploded — OpenAPI's way to say that
 * each of its properties is a key of the query string; the key patterns it accepts beyond its
 * listed properties are in `x-key-patterns` (OpenAPI 3.0 has no patternProperties).
 */
function withQueryFamilies(schema: JsonObject): JsonObject {
  const querystring = schema.querystring as JsonObject | undefined
  const families = querystring?.['x-families'] as QueryFamily[] | undefined
  if (!querystring || !families) return schema
  const properties: Record<string, JsonObject> = querystring.properties ?? {}
  const patternProperties: Record<string, JsonObject> = querystring.patternProperties ?? {}
  const parameters: Record<string, JsonObject> = {}
  for (const family of families) {
    if (family.keys.length === 1 && family.keys[0] === family.name && family.patterns.length === 0) {
      parameters[family.name] = properties[family.name]
      continue
    }
    const members = Object.fromEntries(family.keys.map((key) => [key, properties[key]]))
    const patterns = Object.fromEntries(family.patterns.map((pattern) => [pattern, patternProperties[pattern]]))
    parameters[family.name] = {
      type: 'object',
      description: `${family.spelling}: ${family.description}`,
      properties: members,
      additionalProperties: family.patterns.length > 0 ? { type: 'string' } : false,
      ...(family.patterns.length > 0 && { 'x-key-patterns': patterns }),
      example: family.example
    }
  }
  return { ...schema, querystring: { type: 'object', style: 'form', explode: true, properties: parameters } }
}

/**
 * A route whose body may be one row or an array of them (`oneOf`: POST's bulk,
 * src/rest/create-route.ts) answers an array for an array: its 201 schema, which serialises
 * the one-row answer, is documented as either.
 */
function withBulkAnswers(schema: JsonObject): JsonObject {
  const many = (schema.body?.oneOf as JsonObject[] | undefined)?.some((branch) => branch.type === 'array')
  if (!many) return schema
  const response = { ...schema.response }
  // 201 created; 200 when an upsert (Prefer: resolution=merge-duplicates) updated rows.
  for (const status of [200, 201]) {
    const answer = response[status] as JsonObject | undefined
    if (typeof answer?.$ref !== 'string') continue
    const { $ref, ...rest } = answer
    response[status] = { ...rest, oneOf: [{ $ref }, { type: 'array', items: { $ref } }] }
  }
  return { ...schema, response }
}

/**
 * A stable operationId for a route that declares none: generators name client methods after
 * it, and without one each invents its own. Method + path is unique per route by construction
 * (`GET /books/:id` -> `getBooksById`); a route may still declare a better one itself.
 */
export function defaultOperationId(method: string, url: string): string {
  const words = url
    .split('/')
    .filter(Boolean)
    .map((segment) => (segment.startsWith(':') ? `by-${segment.slice(1)}` : segment.replace(/^\{(.*)\}$/, 'by-$1')))
    .flatMap((segment) => segment.split(/[^A-Za-z0-9]+/))
    .filter(Boolean)
  return method.toLowerCase() + words.map((word) => word[0].toUpperCase() + word.slice(1)).join('')
}

/**
 * The route schemas are JSON Schema draft-07, because ajv and fast-json-stringify read them;
 * an OpenAPI 3.0 Schema Object is an older dialect, and @fastify/swagger translates only part
 * of the gap (nullable types, const). What it leaves is translated here, once for every
 * schema, so the REST layer keeps writing the dialect its validator understands. Also lists
 * every tag an operation uses at the top level with a description (Swagger UI and client
 * generators group operations by it).
 */
function toOpenApi30(document: JsonObject): JsonObject {
  for (const [name, schema] of Object.entries<JsonObject>(document.components?.schemas ?? {})) {
    document.components.schemas[name] = toSchema30(schema)
  }
  for (const { operation } of operationsOf(document)) {
    for (const parameter of operation.parameters ?? []) {
      if (parameter.schema) parameter.schema = toSchema30(parameter.schema)
    }
    for (const media of Object.values<JsonObject>(operation.requestBody?.content ?? {})) {
      if (media.schema) media.schema = toSchema30(media.schema)
    }
    for (const response of Object.values<JsonObject>(operation.responses ?? {})) {
      for (const media of Object.values<JsonObject>(response.content ?? {})) {
        if (media.schema) media.schema = toSchema30(media.schema)
      }
      for (const header of Object.values<JsonObject>(response.headers ?? {})) {
        if (header.schema) header.schema = toSchema30(header.schema)
      }
    }
  }
  document.tags = declaredTags(document)
  return document
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

function* operationsOf(document: JsonObject): Generator<{ path: string; method: string; operation: JsonObject }> {
  for (const [path, item] of Object.entries<JsonObject>(document.paths ?? {})) {
    for (const method of METHODS) {
      if (item[method]) yield { path, method, operation: item[method] }
    }
  }
}

/** Draft-07 -> OpenAPI 3.0 for one schema and every schema nested in it. */
function toSchema30(schema: JsonObject): JsonObject {
  if (typeof schema !== 'object' || schema === null || '$ref' in schema) return schema
  const out: JsonObject = { ...schema }
  // Draft-06+ writes an exclusive bound as a number; 3.0 (draft-04) writes the bound in
  // minimum/maximum and flags it exclusive with a boolean. Keep the tighter bound when both exist.
  if (typeof out.exclusiveMaximum === 'number') {
    const bound = out.exclusiveMaximum
    if (typeof out.maximum === 'number' && out.maximum < bound) delete out.exclusiveMaximum
    else Object.assign(out, { maximum: bound, exclusiveMaximum: true })
  }
  if (typeof out.exclusiveMinimum === 'number') {
    const bound = out.exclusiveMinimum
    if (typeof out.minimum === 'number' && out.minimum > bound) delete out.exclusiveMinimum
    else Object.assign(out, { minimum: bound, exclusiveMinimum: true })
  }
  // 3.0 has one `example`, not draft-06's `examples` array.
  if (Array.isArray(out.examples)) {
    if (out.example === undefined && out.examples.length > 0) out.example = out.examples[0]
    delete out.examples
  }
  delete out.$comment
  // Draft-04 (and so 3.0) demands at least one name in `required`; an empty list means none.
  if (Array.isArray(out.required) && out.required.length === 0) delete out.required
  if (out.properties) {
    out.properties = Object.fromEntries(Object.entries<JsonObject>(out.properties).map(([key, value]) => [key, toSchema30(value)]))
  }
  if (typeof out.additionalProperties === 'object') out.additionalProperties = toSchema30(out.additionalProperties)
  if (out.items && !Array.isArray(out.items)) out.items = toSchema30(out.items)
  if (out.not) out.not = toSchema30(out.not)
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    if (Array.isArray(out[key])) out[key] = out[key].map(toSchema30)
  }
  return out
}

/** Every tag in use, described: a fixed text for infrastructure tags, the routes for entity tags. */
function declaredTags(document: JsonObject): Array<{ name: string; description: string }> {
  const declared = new Map<string, string>(
    (document.tags ?? []).map((tag: { name: string; description?: string }) => [tag.name, tag.description ?? ''])
  )
  const routesByTag = new Map<string, string[]>()
  for (const { path, method, operation } of operationsOf(document)) {
    for (const tag of operation.tags ?? []) {
      const routes = routesByTag.get(tag) ?? []
      routes.push(`${method.toUpperCase()} ${path}`)
      routesByTag.set(tag, routes)
    }
  }
  return [...routesByTag].map(([name, routes]) => ({
    name,
    description: declared.get(name) || TAG_DESCRIPTIONS[name] || `${name} rows: ${routes.join(', ')}`
  }))
}

export default fp(openapi, { name: 'lifeguard-openapi', fastify: '5.x' })
