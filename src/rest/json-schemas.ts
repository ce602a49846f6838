import type { JsonSchema } from './kinds'
import type { ResourceModel, RestField } from './resource-model'

/**
 * Entity -> JSON Schema, as pure functions of the resource model. The same schemas drive
 * ajv validation, fast-json-stringify serialisation and the OpenAPI document. Columns of an
 * embedded object (`address.city`) nest as they do in the entity.
 */

/** Most rows one list page returns; `limit` defaults to DEFAULT_LIST_LIMIT. */
export const MAX_LIST_LIMIT = 100
export const DEFAULT_LIST_LIMIT = 20
/** Longest `in`/`nin` list text and cursor accepted, so a query string cannot grow SQL without bound. */
export const MAX_LIST_TEXT_LENGTH = 4_000
export const MAX_CURSOR_LENGTH = 2_000

export const schemaIds = (model: ResourceModel) => ({
  entity: model.name,
  create: `${model.name}Create`,
  replace: `${model.name}Replace`,
  patch: `${model.name}Patch`
})

/** Adds NULL to a value schema, the way ajv, fast-json-stringify and @fastify/swagger all read it. */
export function nullableSchema(schema: JsonSchema): JsonSchema {
  if (schema.type === undefined) return schema // untyped: any JSON, null included
  const types = Array.isArray(schema.type) ? schema.type : [schema.type]
  const nullable: JsonSchema = { ...schema, type: [...types, 'null'] }
  if (Array.isArray(schema.enum)) nullable.enum = [...schema.enum, null]
  return nullable
}

export function fieldSchema(field: RestField): JsonSchema {
  return field.nullable ? nullableSchema(field.valueSchema) : field.valueSchema
}

interface ObjectShape {
  /** Only request bodies are closed: a response may carry fields a later version adds. */
  closed: boolean
  required?: (field: RestField) => boolean
  /** PATCH: an embedded object, when sent, must change at least one of its fields. */
  nonEmpty?: boolean
}

/** Properties of an object whose fields may be dotted paths into embedded objects. */
function objectOf(fields: readonly RestField[], shape: ObjectShape, prefix = ''): JsonSchema {
  const properties: Record<string, JsonSchema> = {}
  const required: string[] = []
  const groups = new Map<string, RestField[]>()
  for (const field of fields) {
    const rest = field.name.slice(prefix.length)
    const dot = rest.indexOf('.')
    if (dot === -1) {
      properties[rest] = fieldSchema(field)
      if (shape.required?.(field)) required.push(rest)
    } else {
      const name = rest.slice(0, dot)
      groups.set(name, [...(groups.get(name) ?? []), field])
    }
  }
  for (const [name, members] of groups) {
    const nested = objectOf(members, shape, `${prefix}${name}.`)
    properties[name] = nested
    if (Array.isArray(nested.required) && nested.required.length > 0) required.push(name)
  }
  const schema: JsonSchema = { type: 'object', properties }
  if (shape.closed) schema.additionalProperties = false
  if (required.length > 0) schema.required = required
  if (shape.nonEmpty) schema.minProperties = 1
  return schema
}

/**
 * The response body of one entity. No property is `required`: `fields=` may select a subset,
 * and fast-json-stringify leaves out what a row does not carry.
 */
export function entitySchema(model: ResourceModel): JsonSchema {
  return { $id: schemaIds(model).entity, title: model.name, ...objectOf(model.readable, { closed: false }) }
}

/** POST body: creatable fields; those without a default, not nullable and not generated are required. */
export function createBodySchema(model: ResourceModel): JsonSchema {
  return {
    $id: schemaIds(model).create,
    title: `${model.name} to create`,
    ...objectOf(model.creatable, { closed: true, required: (field) => !field.optionalOnCreate })
  }
}

/** PUT body: a full replacement, so every updatable field must be sent (nullable ones may be null). */
export function replaceBodySchema(model: ResourceModel): JsonSchema {
  return {
    $id: schemaIds(model).replace,
    title: `${model.name} replacement`,
    ...objectOf(model.updatable, { closed: true, required: () => true })
  }
}

/** PATCH body: any non-empty subset of the updatable fields. */
export function patchBodySchema(model: ResourceModel): JsonSchema {
  return { $id: schemaIds(model).patch, title: `${model.name} changes`, ...objectOf(model.updatable, { closed: true, nonEmpty: true }) }
}

export function paramsSchema(model: ResourceModel): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    properties: { id: { ...model.primary.valueSchema, description: `${model.name} ${model.primary.name}` } },
    required: ['id']
  }
}

/** A route that takes no query parameters still says so: an unknown one is a 400, not ignored. */
export const NO_QUERY_SCHEMA: JsonSchema = { type: 'object', additionalProperties: false, properties: {} }

function fieldsParameter(model: ResourceModel): JsonSchema {
  return {
    type: 'string',
    maxLength: 2_000,
    description: `comma-separated fields to return, of: ${model.readable.map((field) => field.name).join(', ')}`
  }
}

/** GET by id: only `fields=`. */
export function getQuerySchema(model: ResourceModel): JsonSchema {
  return { type: 'object', additionalProperties: false, properties: { fields: fieldsParameter(model) } }
}

/** What one filter value must look like, for the parameter's description in OpenAPI. */
function describeValue(field: RestField): string {
  const schema = field.valueSchema
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.join(', ')}`
  if (schema.type === 'integer') return `an integer from ${schema.minimum} to ${schema.maximum}`
  const detail = typeof schema.description === 'string' ? schema.description : (schema.format ?? schema.type)
  return `${field.codec.kind} (${detail})`
}

/**
 * Schema of one `where.<field>.<op>` value. Query values are text, validated and converted by
 * the column's codec (src/rest/list-grammar.ts) so a list item and a scalar follow one rule.
 */
function filterValueSchema(field: RestField, op: string): JsonSchema {
  switch (op) {
    case 'isNull':
      return { type: 'boolean', description: `${field.name} IS NULL (true) or IS NOT NULL (false)` }
    case 'in':
    case 'nin':
      return {
        type: 'string',
        maxLength: MAX_LIST_TEXT_LENGTH,
        description: `comma-separated ${field.name} values (${op === 'in' ? 'IN' : 'NOT IN'}), each ${describeValue(field)}; \\, is a comma inside a value, \\\\ a backslash`
      }
    case 'like':
    case 'notLike':
      return {
        type: 'string',
        maxLength: 1_000,
        description: `SQL ${op === 'like' ? 'LIKE' : 'NOT LIKE'} pattern on ${field.name} (% and _ are wildcards, \\ escapes)`
      }
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return { type: 'string', maxLength: 1_000, description: `${field.name} ${op} this text, matched literally (% and _ are plain characters)` }
    case 'between':
      return {
        type: 'string',
        maxLength: 2_000,
        description: `low,high: ${field.name} BETWEEN low AND high (inclusive; low must not be above high), each ${describeValue(field)}`
      }
    default:
      return { type: 'string', maxLength: 1_000, description: `${field.name} ${op}: ${describeValue(field)}` }
  }
}

/**
 * The list query string: every key a client may send is listed, `additionalProperties: false`
 * makes anything else a 400 naming the parameter.
 */
export function listQuerySchema(model: ResourceModel): JsonSchema {
  const properties: Record<string, JsonSchema> = {}
  for (const field of model.filterable) {
    for (const op of field.ops) properties[`where.${field.name}.${op}`] = filterValueSchema(field, op)
  }
  for (const field of model.sortable) {
    properties[`orderby.${field.name}`] = {
      type: 'string',
      enum: ['asc', 'desc'],
      description: `sort by ${field.name}; repeat orderby.* keys to sort by several fields, in URL order`
    }
  }
  properties.limit = { type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT }
  properties.offset = offsetSchema(0)
  properties.fields = fieldsParameter(model)
  properties.totalCount = { type: 'boolean', description: 'true sets X-Total-Count to the number of matching rows' }
  properties.cursor = {
    type: 'string',
    maxLength: MAX_CURSOR_LENGTH,
    description: 'opaque position from a previous page\'s Link rel="next"; do not build it yourself'
  }
  return { type: 'object', additionalProperties: false, properties, 'x-hints': listHints(model) }
}

/**
 * The list `offset` parameter, at most `maxOffset` (REST_MAX_OFFSET; 0 = no bound but the
 * largest exact integer). src/rest/offset-bound.ts puts the configured bound on every list
 * route, so OpenAPI states the same limit the list grammar enforces.
 */
export function offsetSchema(maxOffset: number): JsonSchema {
  const maximum = maxOffset > 0 ? maxOffset : Number.MAX_SAFE_INTEGER
  return {
    type: 'integer',
    minimum: 0,
    maximum,
    default: 0,
    description: maxOffset > 0 ? `first page only, at most ${maxOffset}; deeper pages follow the cursor of Link rel="next"` : 'first page only'
  }
}

/** What an unknown list key could have been, by key prefix (fieldErrors in src/http quotes the longest match). */
function listHints(model: ResourceModel): Record<string, string> {
  const hints: Record<string, string> = {
    '': `the list takes where.<field>.<op>, orderby.<field>, limit, offset, fields, totalCount and cursor`,
    'where.': `filterable fields: ${model.filterable.map((field) => field.name).join(', ') || 'none'}`,
    'orderby.': `sortable fields: ${model.sortable.map((field) => field.name).join(', ') || 'none'}`
  }
  for (const field of model.filterable) hints[`where.${field.name}.`] = `${field.name} takes the ops ${field.ops.join(', ')}`
  return hints
}

export function listResponseSchema(model: ResourceModel): JsonSchema {
  return { type: 'array', items: { $ref: `${schemaIds(model).entity}#` } }
}
