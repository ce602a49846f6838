import { filterValueSchemaOf, nullableSchema, type JsonSchema } from './column-kinds'
import type { ResourceModel, RestField } from './resource-model'

/**
 * Entity -> JSON Schema, as pure functions of the resource model. The same schemas drive
 * ajv validation, fast-json-stringify serialisation and the OpenAPI document.
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

function fieldSchema(field: RestField): JsonSchema {
  return field.nullable ? nullableSchema(field.valueSchema) : field.valueSchema
}

function propertiesOf(fields: RestField[]): Record<string, JsonSchema> {
  return Object.fromEntries(fields.map((field) => [field.name, fieldSchema(field)]))
}

/**
 * The response body of one entity. No property is `required`: `fields=` may select a subset,
 * and fast-json-stringify leaves out what a row does not carry.
 */
export function entitySchema(model: ResourceModel): JsonSchema {
  return {
    $id: schemaIds(model).entity,
    title: model.name,
    type: 'object',
    properties: propertiesOf(model.readable)
  }
}

/** POST body: writable fields; those without a default, not nullable and not generated are required. */
export function createBodySchema(model: ResourceModel): JsonSchema {
  return {
    $id: schemaIds(model).create,
    title: `${model.name} to create`,
    type: 'object',
    additionalProperties: false,
    properties: propertiesOf(model.writable),
    required: model.writable.filter((field) => !field.optionalOnCreate).map((field) => field.name)
  }
}

/** PUT body: a full replacement, so every writable field must be sent (nullable ones may be null). */
export function replaceBodySchema(model: ResourceModel): JsonSchema {
  return {
    $id: schemaIds(model).replace,
    title: `${model.name} replacement`,
    type: 'object',
    additionalProperties: false,
    properties: propertiesOf(model.writable),
    required: model.writable.map((field) => field.name)
  }
}

/** PATCH body: any non-empty subset of the writable fields. */
export function patchBodySchema(model: ResourceModel): JsonSchema {
  return {
    $id: schemaIds(model).patch,
    title: `${model.name} changes`,
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: propertiesOf(model.writable)
  }
}

export function paramsSchema(model: ResourceModel): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    properties: { id: { ...model.primary.valueSchema, description: `${model.name} ${model.primary.name}` } },
    required: ['id']
  }
}

/** Schema of one `where.<field>.<op>` value; `in`/`nin` lists are split and typed by the list grammar. */
function filterValueSchema(field: RestField, op: string): JsonSchema {
  switch (op) {
    case 'isNull':
      return { type: 'boolean', description: `${field.name} IS NULL (true) or IS NOT NULL (false)` }
    case 'in':
    case 'nin':
      return {
        type: 'string',
        maxLength: MAX_LIST_TEXT_LENGTH,
        description: `comma-separated ${field.name} values (${op === 'in' ? 'IN' : 'NOT IN'})`
      }
    case 'like':
      return { type: 'string', maxLength: 1_000, description: `SQL LIKE pattern on ${field.name} (% and _ are wildcards)` }
    default:
      return { ...filterValueSchemaOf(field.kind, field.valueSchema), description: `${field.name} ${op}` }
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
  properties.offset = { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 }
  properties.fields = {
    type: 'string',
    maxLength: 1_000,
    description: `comma-separated fields to return, of: ${model.readable.map((field) => field.name).join(', ')}`
  }
  properties.totalCount = { type: 'boolean', description: 'true sets X-Total-Count to the number of matching rows' }
  properties.cursor = {
    type: 'string',
    maxLength: MAX_CURSOR_LENGTH,
    description: 'opaque position from a previous page\'s Link rel="next"; do not build it yourself'
  }
  return { type: 'object', additionalProperties: false, properties }
}

export function listResponseSchema(model: ResourceModel): JsonSchema {
  return { type: 'array', items: { $ref: `${schemaIds(model).entity}#` } }
}
