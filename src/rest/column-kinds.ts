import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata'

/**
 * How a TypeORM column type behaves over REST: its JSON Schema, the filter ops it allows,
 * and how a value from a query string, a cursor or the database becomes a bind parameter.
 * One kind per family of MySQL types; anything else is refused at start-up with a message,
 * so an entity never exposes a column whose JSON form nobody decided.
 */
export type ColumnKind =
  | 'integer'
  | 'bigint'
  | 'decimal'
  | 'float'
  | 'boolean'
  | 'string'
  | 'text'
  | 'enum'
  | 'datetime'

export type FilterOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'nin' | 'like' | 'isNull'

export type JsonSchema = Record<string, unknown>

const KIND_OF_TYPE: Record<string, ColumnKind> = {
  int: 'integer',
  integer: 'integer',
  tinyint: 'integer',
  smallint: 'integer',
  mediumint: 'integer',
  bigint: 'bigint',
  decimal: 'decimal',
  numeric: 'decimal',
  dec: 'decimal',
  fixed: 'decimal',
  float: 'float',
  double: 'float',
  'double precision': 'float',
  real: 'float',
  boolean: 'boolean',
  bool: 'boolean',
  varchar: 'string',
  char: 'string',
  nvarchar: 'string',
  nchar: 'string',
  'character varying': 'string',
  'national varchar': 'string',
  text: 'text',
  tinytext: 'text',
  mediumtext: 'text',
  longtext: 'text',
  enum: 'enum',
  datetime: 'datetime',
  timestamp: 'datetime'
}

export const SUPPORTED_COLUMN_TYPES = Object.keys(KIND_OF_TYPE)

const ORDERED: FilterOp[] = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte']
const OPS_OF_KIND: Record<ColumnKind, FilterOp[]> = {
  integer: [...ORDERED, 'in', 'nin'],
  bigint: [...ORDERED, 'in', 'nin'],
  decimal: [...ORDERED, 'in', 'nin'],
  float: [...ORDERED, 'in', 'nin'],
  string: [...ORDERED, 'in', 'nin', 'like'],
  text: [...ORDERED, 'in', 'nin', 'like'],
  enum: ['eq', 'neq', 'in', 'nin'],
  datetime: [...ORDERED],
  boolean: ['eq', 'neq']
}

/** The REST kind of a column, or undefined when the REST layer does not support its type. */
export function kindOfColumn(column: ColumnMetadata): ColumnKind | undefined {
  const type = typeof column.type === 'string' ? column.type.toLowerCase() : undefined
  if (type === 'tinyint' && column.length === '1') return 'boolean'
  return type === undefined ? undefined : KIND_OF_TYPE[type]
}

/** Filter ops a column of this kind accepts; `isNull` only where NULL can occur. */
export function opsOfKind(kind: ColumnKind, nullable: boolean): FilterOp[] {
  return nullable ? [...OPS_OF_KIND[kind], 'isNull'] : OPS_OF_KIND[kind]
}

const INTEGER_RANGES: Record<string, [number, number]> = {
  tinyint: [-128, 127],
  smallint: [-32768, 32767],
  mediumint: [-8388608, 8388607],
  int: [-2147483648, 2147483647],
  integer: [-2147483648, 2147483647]
}

/** JSON Schema of one non-null value of the column (nullability is added by the caller). */
export function valueSchemaOf(kind: ColumnKind, column: ColumnMetadata): JsonSchema {
  switch (kind) {
    case 'integer': {
      const [min, max] = INTEGER_RANGES[String(column.type).toLowerCase()] ?? INTEGER_RANGES.int
      return column.unsigned ? { type: 'integer', minimum: 0, maximum: max * 2 + 1 } : { type: 'integer', minimum: min, maximum: max }
    }
    case 'bigint':
      // mysql2 hands BIGINT over as a string (bigNumberStrings), so no precision is lost in JSON either.
      return { type: 'string', pattern: column.unsigned ? '^[0-9]{1,20}$' : '^-?[0-9]{1,19}$' }
    case 'decimal': {
      const precision = column.precision ?? 10
      const scale = column.scale ?? 0
      const limit = 10 ** (precision - scale)
      return { type: 'number', minimum: column.unsigned ? 0 : -limit, exclusiveMaximum: limit }
    }
    case 'float':
      return { type: 'number' }
    case 'boolean':
      return { type: 'boolean' }
    case 'string':
      return { type: 'string', maxLength: column.length ? Number(column.length) : 255 }
    case 'text':
      return { type: 'string', maxLength: 65_535 }
    case 'enum':
      return { type: 'string', enum: (column.enum ?? []).map(String) }
    case 'datetime':
      return { type: 'string', format: 'date-time' }
  }
}

/** Adds NULL to a value schema, the way ajv, fast-json-stringify and @fastify/swagger all read it. */
export function nullableSchema(schema: JsonSchema): JsonSchema {
  const nullable: JsonSchema = { ...schema, type: [schema.type, 'null'] }
  if (Array.isArray(schema.enum)) nullable.enum = [...schema.enum, null]
  return nullable
}

/**
 * Turns one item of an `in`/`nin` list (raw text) into a bind value; undefined when the
 * text is not a value of this column. Scalar query values are already typed by ajv.
 */
export function parseListItem(kind: ColumnKind, schema: JsonSchema, text: string): unknown {
  switch (kind) {
    case 'integer': {
      if (!/^-?[0-9]+$/.test(text)) return undefined
      const value = Number(text)
      return value >= (schema.minimum as number) && value <= (schema.maximum as number) ? value : undefined
    }
    case 'bigint':
      return new RegExp(schema.pattern as string).test(text) ? text : undefined
    case 'decimal':
      return DECIMAL_TEXT.test(text) ? text : undefined
    case 'float':
      return /^-?[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : undefined
    case 'enum':
      return (schema.enum as string[]).includes(text) ? text : undefined
    case 'string':
    case 'text':
      return text.length <= (schema.maxLength as number) ? text : undefined
    default:
      return undefined
  }
}

/**
 * DECIMAL filter values stay text and are bound as strings: exact (no detour through a
 * double), and MariaDB then compares the column with one DECIMAL constant, which is cheaper
 * per scanned row than comparing it with a bound DOUBLE.
 */
export const DECIMAL_TEXT = /^-?[0-9]{1,40}(\.[0-9]{1,30})?$/

/** Schema of one filter value in a query string (bodies use valueSchemaOf). */
export function filterValueSchemaOf(kind: ColumnKind, valueSchema: JsonSchema): JsonSchema {
  return kind === 'decimal' ? { type: 'string', pattern: DECIMAL_TEXT.source } : valueSchema
}

/** A query-string value (already typed by ajv) as a bind parameter. */
export function bindValueOf(kind: ColumnKind, value: unknown): unknown {
  return kind === 'datetime' ? new Date(value as string) : value
}

/** A raw database value as it is stored in a cursor (JSON-safe, exact). */
export function cursorValueOf(raw: unknown): unknown {
  return raw instanceof Date ? raw.toISOString() : raw
}

/** A cursor value back as a bind parameter; undefined when it cannot belong to this column. */
export function bindValueFromCursor(kind: ColumnKind, value: unknown): unknown {
  switch (kind) {
    case 'integer':
      return Number.isInteger(value) ? value : undefined
    case 'decimal':
      if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
      return typeof value === 'string' && /^-?[0-9]+(\.[0-9]+)?$/.test(value) ? value : undefined
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined
    case 'boolean':
      return value === 0 || value === 1 ? value : undefined
    case 'bigint':
      return typeof value === 'string' && /^-?[0-9]{1,20}$/.test(value) ? value : undefined
    case 'string':
    case 'text':
    case 'enum':
      return typeof value === 'string' ? value : undefined
    case 'datetime': {
      if (typeof value !== 'string') return undefined
      const date = new Date(value)
      return Number.isNaN(date.getTime()) ? undefined : date
    }
  }
}
