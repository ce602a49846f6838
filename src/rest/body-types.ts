import type { FastifyRequest } from 'fastify'
import { ValidationFailedError, type FieldError } from '../http/errors'
import type { ColumnKind } from './column-kinds'
import type { ResourceModel } from './resource-model'

/**
 * The app's ajv coerces types (query strings are text and need it), which would also let a
 * body say `"authorId": true` or `"title": 12` and have it quietly converted. Before ajv runs,
 * this checks that each writable field in a JSON body has the JSON type its column takes, so a
 * wrong type is a 400 naming the field. Ranges, lengths, enums, unknown and missing fields
 * are left to the body schema.
 */
const JSON_TYPE_OF_KIND: Record<ColumnKind, 'number' | 'string' | 'boolean'> = {
  integer: 'number',
  decimal: 'number',
  float: 'number',
  bigint: 'string',
  boolean: 'boolean',
  string: 'string',
  text: 'string',
  enum: 'string',
  datetime: 'string'
}

export function strictBodyTypes(model: ResourceModel) {
  const expected = new Map(
    model.writable.map((field) => [field.name, { type: JSON_TYPE_OF_KIND[field.kind], nullable: field.nullable }])
  )
  return async function checkBodyTypes(request: FastifyRequest) {
    const body = request.body
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return
    const errors: FieldError[] = []
    for (const [name, value] of Object.entries(body)) {
      const want = expected.get(name)
      if (want === undefined) continue
      if (value === null ? want.nullable : typeof value === want.type) continue
      errors.push({ path: `body.${name}`, message: `must be ${want.nullable ? `${want.type} or null` : want.type}` })
    }
    if (errors.length > 0) {
      throw new ValidationFailedError(errors.map((error) => `${error.path} ${error.message}`).join('; '), errors)
    }
  }
}
