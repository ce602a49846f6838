import { SPECIMEN_COLORS } from '../fixtures/Specimen'

/**
 * The same predicates and orderings the list routes apply in SQL, evaluated in JS over the
 * JSON rows, as an oracle for the filter and paging tests. Each Specimen field is compared
 * the way MySQL compares its column type; the test data keeps strings lower-case ASCII, so
 * plain code-unit order agrees with the utf8mb4_unicode_ci collation.
 */
type Compare = (a: unknown, b: unknown) => number

const numeric: Compare = (a, b) => Number(a) - Number(b)
const bigInts: Compare = (a, b) => {
  const [x, y] = [BigInt(a as string), BigInt(b as string)]
  return x < y ? -1 : x > y ? 1 : 0
}
/** Exact decimal text compared by scaling to a common number of decimals. */
const decimals: Compare = (a, b) => {
  const scaled = (text: string) => {
    const [whole, fraction = ''] = text.replace('-', '').split('.')
    const value = BigInt(whole + fraction.padEnd(12, '0'))
    return text.startsWith('-') ? -value : value
  }
  const [x, y] = [scaled(String(a)), scaled(String(b))]
  return x < y ? -1 : x > y ? 1 : 0
}
/** FLOAT columns store 4-byte values, and filter values are rounded the same way. */
const floats: Compare = (a, b) => Math.fround(a as number) - Math.fround(b as number)
const texts: Compare = (a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0)
const booleans: Compare = (a, b) => Number(a) - Number(b)
const micros = (time: string) => {
  const negative = time.startsWith('-')
  const [h, m, rest] = time.replace('-', '').split(':')
  const [s, f = ''] = rest.split('.')
  const value = ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1e6 + Number(f.padEnd(6, '0'))
  return negative ? -value : value
}
const times: Compare = (a, b) => micros(a as string) - micros(b as string)
/** MySQL orders an ENUM by declaration position. */
const colors: Compare = (a, b) => SPECIMEN_COLORS.indexOf(a as never) - SPECIMEN_COLORS.indexOf(b as never)
const sets: Compare = (a, b) => texts([...(a as string[])].sort().join(','), [...(b as string[])].sort().join(','))

const COMPARE_OF_FIELD: Record<string, Compare> = {
  id: numeric,
  tiny: numeric,
  tinyU: numeric,
  small: numeric,
  smallU: numeric,
  medium: numeric,
  mediumU: numeric,
  int: numeric,
  intU: numeric,
  yr: numeric,
  dbl: numeric,
  dec: numeric,
  decMoney: numeric,
  decFraction: numeric,
  big: bigInts,
  bigU: bigInts,
  decWide: decimals,
  real: floats,
  flag: booleans,
  flagN: booleans,
  code: texts,
  name: texts,
  nameN: texts,
  shout: texts,
  tinyT: texts,
  txt: texts,
  day: texts,
  dayN: texts,
  dt0: texts,
  dt3: texts,
  dt6: texts,
  ts0: texts,
  ts6: texts,
  createdAt: texts,
  updatedAt: texts,
  clock: times,
  clock6: times,
  color: colors,
  colorN: colors,
  tags: sets,
  ref: texts
}

/** Fields whose database order is not a JS order the oracle can state (MariaDB's UUID type). */
export const UNORDERED_FIELDS = new Set(['ref'])

export function compareField(field: string, a: unknown, b: unknown): number {
  const compare = COMPARE_OF_FIELD[field]
  if (!compare) throw new Error(`the oracle has no comparison for ${field}`)
  return compare(a, b)
}

/** SQL semantics: NULL matches no comparison, only isNull. */
export function matches(field: string, op: string, cell: unknown, value: unknown): boolean {
  if (op === 'isNull') return (cell === null) === value
  if (cell === null) return false
  const compare = (other: unknown) => compareField(field, cell, other)
  switch (op) {
    case 'eq':
      return compare(value) === 0
    case 'neq':
      return compare(value) !== 0
    case 'gt':
      return compare(value) > 0
    case 'gte':
      return compare(value) >= 0
    case 'lt':
      return compare(value) < 0
    case 'lte':
      return compare(value) <= 0
    case 'in':
      return (value as unknown[]).some((item) => compare(item) === 0)
    case 'nin':
      return (value as unknown[]).every((item) => compare(item) !== 0)
    case 'between': {
      const [low, high] = value as unknown[]
      return compare(low) >= 0 && compare(high) <= 0
    }
    case 'like':
      return likePattern(value as string).test(String(cell))
    case 'notLike':
      return !likePattern(value as string).test(String(cell))
    case 'contains':
      return String(cell).toLowerCase().includes(String(value).toLowerCase())
    case 'startsWith':
      return String(cell).toLowerCase().startsWith(String(value).toLowerCase())
    case 'endsWith':
      return String(cell).toLowerCase().endsWith(String(value).toLowerCase())
    default:
      throw new Error(`unknown op ${op}`)
  }
}

/** SQL's three-valued answer to one condition: true, false, or null (unknown: NULL compared with a value). */
export function truthOf(field: string, op: string, cell: unknown, value: unknown): boolean | null {
  if (op !== 'isNull' && cell === null) return null
  return matches(field, op, cell, value)
}

/** NOT, AND and OR over SQL's three truth values (null = unknown). */
export const not3 = (value: boolean | null) => (value === null ? null : !value)
export const and3 = (values: Array<boolean | null>) => (values.includes(false) ? false : values.includes(null) ? null : true)
export const or3 = (values: Array<boolean | null>) => (values.includes(true) ? true : values.includes(null) ? null : false)

/** MySQL LIKE with % and _ (no escapes in the test data), case-insensitive as the collation is. */
function likePattern(pattern: string): RegExp {
  const source = [...pattern].map((char) => (char === '%' ? '.*' : char === '_' ? '.' : char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')
  return new RegExp(`^${source}$`, 'is')
}

type Row = Record<string, unknown>

/** One ORDER BY key: MySQL puts NULLs first ascending and last descending. */
export function fieldOrder(field: string, descending: boolean) {
  return (a: Row, b: Row) => {
    const [x, y] = [a[field], b[field]]
    const order = x === null && y === null ? 0 : x === null ? -1 : y === null ? 1 : compareField(field, x, y)
    return descending ? -order : order
  }
}

/** ORDER BY these keys, then the primary key (ascending) as the list routes break ties. */
export function orderedBy(...keys: Array<[field: string, descending: boolean]>) {
  const orders = keys.map(([field, descending]) => fieldOrder(field, descending))
  return (a: Row, b: Row) => {
    for (const order of orders) {
      const result = order(a, b)
      if (result !== 0) return result
    }
    return (a.id as number) - (b.id as number)
  }
}

/** A JSON value as a query-string value of its column. */
export function asQueryText(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value)
}
