import { quoteIdentifier } from './naming'
import type { RestField } from './resource-model'

/** One item of a SELECT (or RETURNING) list: the column as its codec reads it, under `alias`. */
export function selectedAs(field: RestField, alias: string): string {
  const read = field.codec.readExpression ? field.codec.readExpression(field.sqlColumn) : field.sqlColumn
  return `${read} AS ${quoteIdentifier(alias)}`
}
