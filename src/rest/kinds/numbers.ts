import { IDENTITY, RANGE_OPS, type ColumnCodec } from './codec'

/** MySQL's default DECIMAL is DECIMAL(10,0). */
const DEFAULT_PRECISION = 10

/** Up to this precision every DECIMAL value survives a trip through a JS number (and JSON) exactly. */
export const EXACT_NUMBER_PRECISION = 15

/** Any decimal number as text: the shape a query string, a cursor or a string body must have first. */
const DECIMAL_SHAPE = /^-?[0-9]+(\.[0-9]+)?$/

/**
 * DECIMAL(p,s): exact. The JSON form is a string of digits unless every value of the column is
 * a JS number exactly (p ≤ 15), or the entity's transformer makes it a number (then `form` is
 * 'number'). Either way the value is checked against p and s before it is sent — 12.345 into
 * DECIMAL(10,2) is refused, not rounded — and bound as text, never through a double.
 */
export function decimalCodec(precision: number | undefined, scale: number | undefined, unsigned: boolean, form: 'string' | 'number'): ColumnCodec {
  const p = precision ?? DEFAULT_PRECISION
  const s = scale ?? 0
  const integerDigits = p - s
  const limit = `DECIMAL(${p},${s})${unsigned ? ' unsigned' : ''}`
  const textProblem = (text: string): string | undefined => {
    if (!DECIMAL_SHAPE.test(text)) return 'must be a decimal number'
    const negative = text.startsWith('-')
    const [whole, fraction = ''] = (negative ? text.slice(1) : text).split('.')
    if (negative && unsigned && !/^0*$/.test(whole + fraction)) return `must not be negative (${limit})`
    if (fraction.length > s) return s === 0 ? `must be a whole number (${limit})` : `must have at most ${s} decimal places (${limit})`
    if (whole.replace(/^0+/, '').length > integerDigits) return `must have at most ${integerDigits} digits before the decimal point (${limit})`
    return undefined
  }
  const maximum = 10 ** integerDigits
  const schema =
    form === 'number'
      ? { type: 'number', ...(unsigned ? { minimum: 0 } : { exclusiveMinimum: -maximum }), exclusiveMaximum: maximum, description: limit }
      : { type: 'string', pattern: decimalPattern(integerDigits, s, unsigned), description: `${limit}, as a string` }
  return {
    kind: 'decimal',
    schema,
    // MariaDB compares a DECIMAL with a text parameter exactly in `=` and `<`, but as a double in
    // `IN (...)`; a DECIMAL constant of the column's own type is exact everywhere.
    placeholder: `CAST(? AS DECIMAL(${p},${s}))`,
    ops: RANGE_OPS,
    sortable: true,
    // Both JSON forms are checked the same way: a transformer's to() may hand either to the column.
    problemWith: (value) => {
      if (typeof value === 'number') return Number.isFinite(value) ? textProblem(plainDecimal(value)) : 'must be a finite number'
      return typeof value === 'string' ? textProblem(value) : 'must be a decimal number'
    },
    toDatabase: (value) => (typeof value === 'number' ? plainDecimal(value) : value),
    fromDatabase: form === 'number' ? (raw) => Number(raw) : IDENTITY,
    parseText: (text) => (DECIMAL_SHAPE.test(text) ? (form === 'number' ? Number(text) : text) : undefined),
    // The cursor keeps mysql2's exact text.
    toCursor: (raw) => raw,
    fromCursor: (value) => (typeof value === 'string' && textProblem(value) === undefined ? value : undefined)
  }
}

function decimalPattern(integerDigits: number, scale: number, unsigned: boolean): string {
  const sign = unsigned ? '' : '-?'
  const whole = integerDigits > 0 ? `[0-9]{1,${integerDigits}}` : '0'
  const fraction = scale > 0 ? `(\\.[0-9]{1,${scale}})?` : ''
  return `^${sign}${whole}${fraction}$`
}

/** A finite JS number as plain decimal text (no exponent): 1e-7 -> "0.0000001". */
export function plainDecimal(value: number): string {
  if (!Number.isFinite(value)) return 'NaN'
  const text = String(value)
  const match = /^(-?)([0-9])(?:\.([0-9]+))?e([-+][0-9]+)$/.exec(text)
  if (!match) return text
  const [, sign, first, rest = '', exponentText] = match
  const digits = first + rest
  const exponent = Number(exponentText)
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`
  return sign + digits.padEnd(exponent + 1, '0')
}

/** The largest FLOAT as answered (shortest form): it, and anything smaller, rounds to a finite 4-byte value. */
const FLOAT_MAX = 3.4028235e38

/** Numbers in query strings: decimal digits, an optional fraction and exponent; no hex, no Infinity. */
const FLOAT_TEXT = /^-?[0-9]{1,400}(\.[0-9]{1,400})?([eE][-+]?[0-9]{1,4})?$/

/**
 * FLOAT and DOUBLE: JSON numbers. A FLOAT keeps a 4-byte value: values are bound already
 * rounded to it (so `eq` finds the row that stored the same number), and answered as the
 * shortest decimal that rounds to the stored value (0.1, not 0.10000000149011612), while the
 * cursor keeps the exact stored value so keyset paging never repeats or skips a row.
 */
export function floatCodec(single: boolean): ColumnCodec {
  const toStored = single ? Math.fround : (value: number) => value
  const problemWith = (value: unknown) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a finite number'
    if (single && !Number.isFinite(Math.fround(value))) return `must be between -${FLOAT_MAX} and ${FLOAT_MAX} (float)`
    return undefined
  }
  return {
    kind: 'float',
    schema: single ? { type: 'number', format: 'float', minimum: -FLOAT_MAX, maximum: FLOAT_MAX } : { type: 'number', format: 'double' },
    ops: RANGE_OPS,
    sortable: true,
    problemWith,
    toDatabase: (value) => toStored(value as number),
    fromDatabase: single ? (raw) => shortestFloat(Number(raw)) : (raw) => Number(raw),
    parseText: (text) => {
      if (!FLOAT_TEXT.test(text)) return undefined
      const value = Number(text)
      return Number.isFinite(value) ? value : undefined
    },
    toCursor: (raw) => Number(raw),
    fromCursor: (value) => (problemWith(value) === undefined ? value : undefined)
  }
}

/** The shortest decimal that rounds to the same 4-byte float. */
function shortestFloat(stored: number): number {
  for (let digits = 1; digits < 10; digits++) {
    const candidate = Number(stored.toPrecision(digits))
    if (Math.fround(candidate) === stored) return candidate
  }
  return stored
}
