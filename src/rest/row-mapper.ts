import { IDENTITY } from './kinds/codec'
import type { RestField } from './resource-model'

/**
 * Turns rows from a prepared statement (one property per selected field, named by the
 * field's path) into response JSON, in place: each column's codec converts what needs
 * converting (dates, BIGINT, bytes, documents, transformers) and fields of an embedded
 * object (`address.city`) are gathered into `address: { city }`. Columns mysql2 already
 * returns in their JSON form are not touched, so a row of plain columns costs nothing.
 * Extra properties (cursor keys) stay on the row; the response schema leaves them out.
 */
export type RowMapper = <Row extends Record<string, unknown>>(rows: Row[]) => Row[]

const identityMapper: RowMapper = (rows) => rows

export function rowMapperOf(fields: readonly RestField[]): RowMapper {
  const converted = fields.filter((field) => field.codec.fromDatabase !== IDENTITY || field.codec.mapsNull)
  const nested = fields.filter((field) => field.name.includes('.')).map((field) => ({ name: field.name, path: field.name.split('.') }))
  if (converted.length === 0 && nested.length === 0) return identityMapper
  return (rows) => {
    for (const row of rows) {
      const record = row as Record<string, unknown>
      for (const field of converted) {
        const raw = record[field.name]
        if (raw !== null || field.codec.mapsNull) record[field.name] = field.codec.fromDatabase(raw)
      }
      for (const { name, path } of nested) setPath(record, path, record[name])
    }
    return rows
  }
}

/** Sets `path` (`['address', 'city']`) in a row, making the objects on the way. */
export function setPath(record: Record<string, unknown>, path: string[], value: unknown): void {
  let target = record
  for (let i = 0; i < path.length - 1; i++) {
    const next = target[path[i]]
    if (next === null || typeof next !== 'object') target[path[i]] = {}
    target = target[path[i]] as Record<string, unknown>
  }
  target[path[path.length - 1]] = value
}
