import { INTEGER_TEXT, RANGE_OPS, plainCodec, type ColumnCodec } from './codec'

/** Signed ranges by MySQL integer type; unsigned ones run from 0 to 2 × max + 1. */
const SIGNED_RANGES: Record<string, [number, number]> = {
  tinyint: [-128, 127],
  smallint: [-32768, 32767],
  mediumint: [-8388608, 8388607],
  int: [-2147483648, 2147483647]
}

/** TINYINT, SMALLINT, MEDIUMINT, INT: JSON integers within the type's range. */
export function integerCodec(type: string, unsigned: boolean): ColumnCodec {
  const [signedMin, signedMax] = SIGNED_RANGES[type] ?? SIGNED_RANGES.int
  const [minimum, maximum] = unsigned ? [0, signedMax * 2 + 1] : [signedMin, signedMax]
  return rangedInteger('integer', minimum, maximum, `${type}${unsigned ? ' unsigned' : ''}`)
}

/** YEAR: 1901 to 2155 (MariaDB's `0000` is a placeholder for invalid years, not a year). */
export function yearCodec(): ColumnCodec {
  return rangedInteger('year', 1901, 2155, 'year')
}

function rangedInteger(kind: 'integer' | 'year', minimum: number, maximum: number, typeName: string): ColumnCodec {
  const problemWith = (value: unknown) => {
    if (typeof value !== 'number' || !Number.isInteger(value)) return 'must be an integer'
    if (value < minimum || value > maximum) return `must be between ${minimum} and ${maximum} (${typeName})`
    return undefined
  }
  return plainCodec({
    kind,
    schema: { type: 'integer', minimum, maximum },
    ops: RANGE_OPS,
    sortable: true,
    problemWith,
    parseText: (text) => (INTEGER_TEXT.test(text) ? Number(text) : undefined)
  })
}

const BIGINT_RANGE = {
  signed: [-(2n ** 63n), 2n ** 63n - 1n],
  unsigned: [0n, 2n ** 64n - 1n]
} as const

/**
 * BIGINT: a JSON string of decimal digits, because a JSON number loses precision above 2^53
 * in most clients. mysql2 returns it as a string (bigNumberStrings) and MariaDB compares a
 * BIGINT column with a string parameter exactly, so no value ever passes through a double.
 */
export function bigintCodec(unsigned: boolean): ColumnCodec {
  const [minimum, maximum] = unsigned ? BIGINT_RANGE.unsigned : BIGINT_RANGE.signed
  const problemWith = (value: unknown) => {
    if (typeof value !== 'string' || !INTEGER_TEXT.test(value)) return 'must be a string of decimal digits'
    const number = BigInt(value)
    if (number < minimum || number > maximum) return `must be between ${minimum} and ${maximum} (bigint${unsigned ? ' unsigned' : ''})`
    return undefined
  }
  return plainCodec({
    kind: 'bigint',
    schema: { type: 'string', pattern: unsigned ? '^[0-9]{1,20}$' : '^-?[0-9]{1,19}$', description: 'a 64-bit integer, as a string' },
    ops: RANGE_OPS,
    sortable: true,
    problemWith,
    // Canonical form: `007` and `-0` name the same number as `7` and `0`.
    toDatabase: (value) => BigInt(value as string).toString(),
    parseText: (text) => (INTEGER_TEXT.test(text) ? text : undefined)
  })
}

/**
 * BOOLEAN (TINYINT(1)): JSON true/false. mysql2 returns the stored number; anything but 0 is
 * true, as in MySQL. The cursor keeps the stored number, so a row holding 2 still pages.
 */
export function booleanCodec(): ColumnCodec {
  return {
    kind: 'boolean',
    schema: { type: 'boolean' },
    ops: ['eq', 'neq'],
    sortable: true,
    problemWith: (value) => (typeof value === 'boolean' ? undefined : 'must be true or false'),
    toDatabase: (value) => (value ? 1 : 0),
    fromDatabase: (raw) => raw !== 0 && raw !== '0',
    parseText: (text) => (text === 'true' ? true : text === 'false' ? false : undefined),
    toCursor: (raw) => Number(raw),
    fromCursor: (value) => (Number.isInteger(value) && (value as number) >= -128 && (value as number) <= 255 ? value : undefined)
  }
}
