import { ValidationFailedError } from '../http/errors'
import type { ResourceModel } from './resource-model'

/**
 * The `:id` of a route as a bind value of the primary key. An integer key is already typed by
 * the params schema (decimal digits only, in range: src/http/validation.ts); any other key is
 * text, read and checked by the key column's codec like every other value of that column.
 */
export function parseId(model: ResourceModel, raw: unknown): unknown {
  const { codec } = model.primary
  const value = typeof raw === 'string' ? codec.parseText(raw) : raw
  const problem = value === undefined ? `is not a valid ${model.name} ${model.primary.name}` : codec.problemWith(value)
  if (problem) throw new ValidationFailedError(`params.id ${problem}`, [{ path: 'params.id', message: problem }])
  return codec.toDatabase(value)
}
