import { ValidationFailedError, type FieldError } from '../http/errors'
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata'
import type { ColumnCodec } from './kinds'
import type { RestField } from './resource-model'

/** A column a write sets: a REST field, or a column an entity listener set (which has no codec). */
export interface WritableColumn {
  name: string
  sqlColumn: string
  metadata: ColumnMetadata
  codec?: ColumnCodec
}

/** One value a write binds: a body field checked and converted by its codec, or a listener's. */
export interface FieldValue {
  field: WritableColumn
  value: unknown
}

/**
 * The body's values for `fields`, in field order, each checked and converted by its column's
 * codec. The body schema has already checked JSON types, required and unknown fields; this
 * refuses what the database would refuse or silently change (range, precision and scale,
 * length in bytes, calendar dates, fractional seconds) with one 400 naming every bad field,
 * before any SQL is sent. Fields of embedded objects are read at their path (`address.city`).
 * `at` is where the body sits in the request, for error paths (`body.3` for a bulk's fourth row).
 */
export function bodyValues(body: Record<string, unknown>, fields: readonly RestField[], at = 'body'): FieldValue[] {
  const values: FieldValue[] = []
  const errors: FieldError[] = []
  for (const field of fields) {
    const value = valueAt(body, field.name)
    if (value === undefined) continue
    if (value === null && !field.codec.mapsNull) {
      if (field.nullable) values.push({ field, value: null })
      else errors.push({ path: `${at}.${field.name}`, message: 'must not be null' })
      continue
    }
    const problem = field.codec.problemWith(value)
    if (problem) errors.push({ path: `${at}.${field.name}`, message: problem })
    else values.push({ field, value: field.codec.toDatabase(value) })
  }
  if (errors.length > 0) throw new ValidationFailedError(errors.map((error) => `${error.path} ${error.message}`).join('; '), errors)
  return values
}

function valueAt(body: Record<string, unknown>, path: string): unknown {
  if (!path.includes('.')) return body[path]
  let value: unknown = body
  for (const segment of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<string, unknown>)[segment]
  }
  return value
}
