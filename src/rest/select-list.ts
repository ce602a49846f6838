import { quoteIdentifier } from './naming'
import type { RestField } from './resource-model'

/** One item of a SELECT (or RETURNING) list: the column (`column`: qualified) as its codec reads it, under `alias`. */
export function selectedAs(field: RestField, alias: string, column = field.sqlColumn): string {
  const read = field.codec.readExpression ? field.codec.readExpression(column) : column
  return `${read} AS ${quoteIdentifier(alias)}`
}
