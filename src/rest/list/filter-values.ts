import { unicodeProblem } from '../kinds/codec'
import { compareStored } from '../kinds/stored-order'
import type { FilterOp } from '../kinds'
import { invalidQuery as invalid } from '../query-errors'
import type { RestField } from '../resource-model'

/**
 * One filter value's query-string text as its bind value: read by the column's codec (so a
 * list item, a range bound and a scalar follow the one rule of that column), or made into the
 * LIKE pattern its op stands for. A value the column cannot hold is a 400 naming the key.
 */

/** Most values one `in`/`nin` list may carry. */
export const MAX_LIST_ITEMS = 100

export function filterValue(key: string, field: RestField, op: FilterOp, raw: unknown): unknown {
  switch (op) {
    case 'isNull':
      return raw
    case 'like':
    case 'notLike':
      return patternText(key, raw as string)
    case 'contains':
      return `%${literalPattern(patternText(key, raw as string))}%`
    case 'startsWith':
      return `${literalPattern(patternText(key, raw as string))}%`
    case 'endsWith':
      return `%${literalPattern(patternText(key, raw as string))}`
    case 'in':
    case 'nin':
      return parseList(key, field, raw as string)
    case 'between':
      return parseRange(key, field, raw as string)
    default:
      return bindValue(key, field, raw as string)
  }
}

function patternText(key: string, text: string): string {
  const problem = unicodeProblem(text)
  if (problem) invalid(`querystring.${key}`, problem)
  return text
}

/**
 * The escape character of the LIKE that contains/startsWith/endsWith run (`LIKE ? ESCAPE '!'`,
 * src/rest/list/plan.ts). Not the backslash: under sql_mode NO_BACKSLASH_ESCAPES a backslash
 * is no escape at all, and `ESCAPE '\\'` would be two characters there — '!' means the same in every mode.
 */
export const LITERAL_ESCAPE = '!'

/** A value matched literally inside a LIKE pattern: its `%`, `_` and escape character escaped. */
function literalPattern(text: string): string {
  return text.replace(/[!%_]/g, (char) => LITERAL_ESCAPE + char)
}

/** One query-string value through the column's codec: parsed, checked, converted to its bind value. */
function bindValue(key: string, field: RestField, text: string, item?: string): unknown {
  const { codec } = field
  const value = codec.parseText(text)
  const problem = value === undefined ? `is not a ${codec.kind} value` : codec.problemWith(value)
  if (problem) invalid(`querystring.${key}`, item === undefined ? problem : `item "${item}" ${problem}`)
  return codec.toDatabase(value)
}

function parseList(key: string, field: RestField, text: string): unknown[] {
  const items = splitList(text)
  if (items.length > MAX_LIST_ITEMS) invalid(`querystring.${key}`, `must list at most ${MAX_LIST_ITEMS} values`)
  return items.map((item) => bindValue(key, field, item, item.slice(0, 50)))
}

/**
 * A comma-separated list where `\,` is a comma inside a value and `\\` a backslash (any other
 * backslash stays as it is), so `in=a\,b,c` is the two values "a,b" and "c".
 */
export function splitList(text: string): string[] {
  if (!text.includes('\\')) return text.split(',')
  const items: string[] = []
  let item = ''
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    const next = text[i + 1]
    if (char === '\\' && (next === ',' || next === '\\')) {
      item += next
      i++
    } else if (char === ',') {
      items.push(item)
      item = ''
    } else {
      item += char
    }
  }
  items.push(item)
  return items
}

/** `between=a,b`: two values of the column, inclusive, the first not above the second. */
function parseRange(key: string, field: RestField, text: string): unknown[] {
  const items = text.split(',')
  if (items.length !== 2) invalid(`querystring.${key}`, 'must be two values separated by a comma: low,high (inclusive)')
  const [low, high] = items.map((item) => bindValue(key, field, item, item.slice(0, 50)))
  if (compareStored(field.codec.kind, low, high) > 0) invalid(`querystring.${key}`, `low bound "${items[0].slice(0, 50)}" is above high bound "${items[1].slice(0, 50)}"`)
  return [low, high]
}

