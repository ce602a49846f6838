import type { RestField } from './resource-model'

/**
 * Rows from a prepared statement are already nearly JSON: numbers, strings, Dates (which the
 * response schema writes as date-time) and DECIMAL strings (written as numbers). What is left
 * is the entity's own transformers, applied in place to the few columns that have one.
 */
export type RowMapper = <Row extends Record<string, unknown>>(rows: Row[]) => Row[]

const identity: RowMapper = (rows) => rows

export function rowMapperOf(fields: RestField[]): RowMapper {
  const transformed = fields.filter((field) => field.fromDatabase !== undefined)
  if (transformed.length === 0) return identity
  return (rows) => {
    for (const row of rows) {
      const record = row as Record<string, unknown>
      for (const field of transformed) record[field.name] = field.fromDatabase!(record[field.name])
    }
    return rows
  }
}
