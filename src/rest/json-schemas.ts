import type { JsonSchema } from './kinds'
import type { ResourceModel, RestField } from './resource-model'
import type { RestRelation } from './relations'

/**
 * Entity -> JSON Schema, as pure functions of the resource model. The same schemas drive
 * ajv validation, fast-json-stringify serialisation and the OpenAPI document. Columns of an
 * embedded object (`address.city`) nest as they do in the entity.
 */

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
  const schema: JsonSchema = { $id: schemaIds(model).entity, title: model.name, ...objectOf(model.readable, { closed: false }) }
  for (const relation of model.includable.values()) (schema.properties as Record<string, JsonSchema>)[relation.name] = embedSchema(relation)
  return schema
}

/** An embedded relation (`include=`): the related entity's schema, an array of them for to-many, nullable when the row may have none. */
function embedSchema(relation: RestRelation): JsonSchema {
  const ref = { $ref: `${schemaIds(relation.target).entity}#` }
  const description = `with include=${relation.name}`
  if (relation.kind === 'to-many') return { type: 'array', items: ref, description }
  return relation.optional ? { anyOf: [ref, { type: 'null' }], description } : { ...ref, description }
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

export function listResponseSchema(model: ResourceModel): JsonSchema {
  return { type: 'array', items: { $ref: `${schemaIds(model).entity}#` } }
}
