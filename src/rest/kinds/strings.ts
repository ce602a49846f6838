import { EQUALITY_OPS, IDENTITY, NO_OPS, TEXT_OPS, plainCodec, unicodeProblem, type ColumnCodec } from './codec'

/** Longest `like` pattern or string filter accepted from a query string. */
const MAX_FILTER_TEXT = 1_000

/** MySQL's default VARCHAR length in TypeORM, when an entity gives none. */
const DEFAULT_VARCHAR_LENGTH = 255

/**
 * CHAR(n) / VARCHAR(n): JSON strings of at most n characters (code points, as MariaDB counts
 * them). A CHAR drops trailing spaces when read back, so such a value is refused rather than
 * silently changed; a column in a 3-byte UTF-8 charset cannot store characters outside the BMP.
 */
export function stringCodec(type: 'char' | 'varchar', length: number | undefined, charset: string | undefined): ColumnCodec {
  const maxLength = length ?? (type === 'char' ? 1 : DEFAULT_VARCHAR_LENGTH)
  const bmpOnly = isThreeByteUtf8(charset)
  const problemWith = (value: unknown) => {
    if (typeof value !== 'string') return 'must be a string'
    const problem = unicodeProblem(value) ?? (bmpOnly ? bmpProblem(value) : undefined)
    if (problem) return problem
    if (codePoints(value) > maxLength) return `must be at most ${maxLength} characters long`
    if (type === 'char' && value.endsWith(' ')) return 'must not end with a space (a CHAR column does not keep trailing spaces)'
    return undefined
  }
  return plainCodec({
    kind: 'string',
    schema: { type: 'string', maxLength },
    ops: TEXT_OPS,
    sortable: true,
    problemWith,
    parseText: (text) => (text.length <= MAX_FILTER_TEXT ? text : undefined)
  })
}

/** Byte limits of the TEXT family (L + 2 bytes etc.: the length prefix does not count). */
const TEXT_BYTES: Record<string, number> = {
  tinytext: 255,
  text: 65_535,
  mediumtext: 16_777_215,
  longtext: 4_294_967_295
}

/**
 * TINYTEXT … LONGTEXT: limited in bytes, not characters (a TEXT holds 65,535 bytes of UTF-8,
 * so fewer emoji than ASCII letters). Filterable, but not sortable: ORDER BY on TEXT sorts by a
 * prefix only (max_sort_length), which would make keyset paging inexact.
 */
export function textCodec(type: string, charset: string | undefined): ColumnCodec {
  const maxBytes = TEXT_BYTES[type] ?? TEXT_BYTES.text
  const bmpOnly = isThreeByteUtf8(charset)
  return plainCodec({
    kind: 'text',
    schema: { type: 'string', maxLength: maxBytes, description: `${type}: at most ${maxBytes} bytes of UTF-8` },
    ops: TEXT_OPS,
    sortable: false,
    problemWith: (value) => {
      if (typeof value !== 'string') return 'must be a string'
      const problem = unicodeProblem(value) ?? (bmpOnly ? bmpProblem(value) : undefined)
      if (problem) return problem
      if (Buffer.byteLength(value, 'utf8') > maxBytes) return `must be at most ${maxBytes} bytes long in UTF-8 (${type})`
      return undefined
    },
    parseText: (text) => (text.length <= MAX_FILTER_TEXT ? text : undefined)
  })
}

/**
 * ENUM: one of the declared members. MySQL sorts an ENUM by declaration order, so the cursor
 * keeps the member's position (1-based) and the keyset comparison binds that number: MySQL
 * compares an ENUM with a number by position, with a string alphabetically. Members of a
 * numeric TypeScript enum are JSON numbers, as TypeORM hydrates them.
 */
export function enumCodec(members: ReadonlyArray<string | number>): ColumnCodec {
  const numeric = members.length > 0 && members.every((member) => typeof member === 'number')
  const texts = members.map(String)
  const position = new Map(texts.map((member, index) => [member, index + 1]))
  const problemWith = (value: unknown) =>
    (numeric ? typeof value === 'number' : typeof value === 'string') && position.has(String(value))
      ? undefined
      : `must be one of: ${texts.join(', ')}`
  return {
    kind: 'enum',
    schema: numeric ? { type: 'integer', enum: [...members] } : { type: 'string', enum: texts },
    ops: EQUALITY_OPS,
    sortable: true,
    problemWith,
    toDatabase: (value) => String(value),
    fromDatabase: numeric ? (raw) => Number(raw) : IDENTITY,
    parseText: numeric ? (text) => (/^-?[0-9]{1,15}$/.test(text) ? Number(text) : undefined) : (text) => text,
    toCursor: (raw) => position.get(String(raw)) ?? 0,
    fromCursor: (value) => (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= members.length ? value : undefined)
  }
}

/**
 * SET: a JSON array of distinct members. MySQL stores and returns them in declaration order,
 * comma-joined; the same canonical text is bound, so `eq` (a comma-separated list in a query
 * string, in any order) matches exactly that set.
 */
export function setCodec(members: readonly string[]): ColumnCodec {
  const known = new Set(members)
  const canonical = (value: string[]) => members.filter((member) => value.includes(member)).join(',')
  const problemWith = (value: unknown) => {
    if (!Array.isArray(value)) return 'must be an array of members'
    if (value.some((member) => typeof member !== 'string' || !known.has(member))) return `may only contain: ${members.join(', ')}`
    if (new Set(value).size !== value.length) return 'must not repeat a member'
    return undefined
  }
  return {
    kind: 'set',
    schema: { type: 'array', items: { type: 'string', enum: [...members] }, uniqueItems: true },
    ops: ['eq', 'neq'],
    sortable: false,
    problemWith,
    toDatabase: (value) => canonical(value as string[]),
    fromDatabase: (raw) => (raw === '' ? [] : String(raw).split(',')),
    parseText: (text) => (text === '' ? [] : text.split(',')),
    toCursor: (raw) => raw,
    fromCursor: () => undefined
  }
}

const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

/**
 * UUID (MariaDB's native UUID type from 10.7, else CHAR(36)): the canonical 8-4-4-4-12 text.
 * UUIDs are case-insensitive (RFC 9562) and MariaDB answers lower case, so values are stored
 * lower case. Sorting follows the server's UUID order, which the keyset comparison shares.
 */
export function uuidCodec(): ColumnCodec {
  const problemWith = (value: unknown) => (typeof value === 'string' && UUID_TEXT.test(value) ? undefined : 'must be a UUID (8-4-4-4-12 hex digits)')
  return plainCodec({
    kind: 'uuid',
    schema: { type: 'string', format: 'uuid' },
    ops: EQUALITY_OPS,
    sortable: true,
    problemWith,
    toDatabase: (value) => (value as string).toLowerCase(),
    fromDatabase: (raw) => String(raw).toLowerCase(),
    parseText: (text) => text
  })
}

/**
 * TypeORM's simple-array: string items joined with commas in a TEXT column. An item with a
 * comma would split in two, and an empty item would not survive (an empty array is stored as
 * ''), so both are refused.
 */
export function simpleArrayCodec(): ColumnCodec {
  const maxBytes = TEXT_BYTES.text
  return {
    kind: 'simple-array',
    schema: { type: 'array', items: { type: 'string', minLength: 1, pattern: '^[^,]*$' } },
    ops: NO_OPS,
    sortable: false,
    problemWith: (value) => {
      if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) return 'must be an array of strings'
      if (value.some((item) => item === '' || item.includes(','))) return 'items must be non-empty and must not contain a comma'
      const problem = value.map((item) => unicodeProblem(item)).find(Boolean)
      if (problem) return problem
      if (Buffer.byteLength(value.join(','), 'utf8') > maxBytes) return `must be at most ${maxBytes} bytes long, joined with commas`
      return undefined
    },
    toDatabase: (value) => (value as string[]).join(','),
    fromDatabase: (raw) => (raw === '' ? [] : String(raw).split(',')),
    parseText: () => undefined,
    toCursor: (raw) => raw,
    fromCursor: () => undefined
  }
}

function codePoints(value: string): number {
  let count = 0
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (code >= 0xd800 && code <= 0xdbff) i++
    count++
  }
  return count
}

function isThreeByteUtf8(charset: string | undefined): boolean {
  return charset !== undefined && /^utf8(mb3)?$/i.test(charset)
}

function bmpProblem(value: string): string | undefined {
  return /[\uD800-\uDFFF]/.test(value) ? 'must not contain characters outside the Basic Multilingual Plane (the column is utf8mb3)' : undefined
}
