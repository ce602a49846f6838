import { createHash } from 'node:crypto'
import { invalidQuery } from '../query-errors'
import type { RestField } from '../resource-model'
import type { RestRelation } from '../relations'

/**
 * Keyset cursors: the sort values of the last row of a page plus its primary key, as
 * base64url JSON followed by a checksum over the values and the sort order they belong to.
 * A cursor that was edited, truncated or reused with another `orderby` is a 400. The checksum
 * is not a secret signature: a forged cursor gets no further than a well-formed one, because
 * every value is checked by its column's codec (type, range, format) and bound, never spliced
 * into SQL. A cursor holds raw database values (exact DECIMAL text, DATETIME with microseconds,
 * an ENUM's position), so the keyset comparison is the database's own ordering.
 */
export interface KeyColumn {
  field: RestField
  /** Set when the key is a to-one relation's field, read through its join. */
  relation?: RestRelation
  /** As the grammar names it: `price`, `author.name`. */
  name: string
  /** The column in the list's SQL, qualified with its table or join. */
  column: string
  /** Whether the key can be NULL: a nullable column, or a relation's field when the related row can be missing. */
  nullable: boolean
  /** The key's expression holds the request's `search=` words as a `?` (relevance): each use binds them. */
  searchBound?: boolean
  /** What ORDER BY names: the column, or for a computed key the alias it is selected under. */
  orderBy: string
  descending: boolean
  /** Property of a fetched row that carries this key's raw value. */
  rowKey: string
}

/** Identifies a sort order; a cursor only fits the order it was made for. */
export function sortSignature(keys: KeyColumn[]): string {
  return keys.map((key) => `${key.name}:${key.descending ? 'd' : 'a'}`).join(',')
}

function checksum(signature: string, payload: string): string {
  return createHash('sha256').update(signature).update('\n').update(payload).digest('base64url').slice(0, 16)
}

export function encodeCursor(keys: KeyColumn[], signature: string, row: Record<string, unknown>): string {
  const values = keys.map((key) => {
    const raw = row[key.rowKey]
    return raw === null || raw === undefined ? null : key.field.codec.toCursor(raw)
  })
  const payload = Buffer.from(JSON.stringify(values)).toString('base64url')
  return `${payload}.${checksum(signature, payload)}`
}

/** The bind values a cursor stands for (null for a NULL sort value), or a 400 naming `cursor`. */
export function decodeCursor(keys: KeyColumn[], signature: string, cursor: string): unknown[] {
  const [payload, sum, extra] = cursor.split('.')
  if (extra !== undefined || !payload || sum !== checksum(signature, payload)) {
    invalidQuery('querystring.cursor', 'is not a cursor from this list (it was changed, or orderby differs)')
  }
  let values: unknown
  try {
    values = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    invalidQuery('querystring.cursor', 'is not a valid cursor')
  }
  if (!Array.isArray(values) || values.length !== keys.length) invalidQuery('querystring.cursor', 'is not a valid cursor')
  return keys.map((key, index) => {
    const value = values[index]
    if (value === null && key.nullable) return null
    const bound = value === null ? undefined : key.field.codec.fromCursor(value)
    if (bound === undefined || bound === null) invalidQuery('querystring.cursor', 'is not a valid cursor')
    return bound
  })
}
