/**
 * How one column travels between JSON and MySQL/MariaDB, decided once per column at start-up
 * from TypeORM's metadata. Every value crosses one of these functions: a body field on its
 * way into INSERT/UPDATE, a query-string filter on its way to a bound `?`, a row value on its
 * way into a response, a sort value in and out of a keyset cursor. Nothing else converts.
 */
export type FilterOp =
  | 'eq'
  | 'neq'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'in'
  | 'nin'
  | 'between'
  | 'like'
  | 'notLike'
  | 'contains'
  | 'startsWith'
  | 'endsWith'
  | 'isNull'

export type JsonSchema = Record<string, unknown>

/** Families of column types, as the REST layer treats them (names appear in messages and docs). */
export type ColumnKind =
  | 'integer'
  | 'bigint'
  | 'year'
  | 'boolean'
  | 'decimal'
  | 'float'
  | 'string'
  | 'text'
  | 'enum'
  | 'set'
  | 'uuid'
  | 'date'
  | 'time'
  | 'datetime'
  | 'json'
  | 'simple-json'
  | 'simple-array'
  | 'binary'

export interface ColumnCodec {
  readonly kind: ColumnKind
  /** JSON Schema of one non-null JSON value, for bodies, responses and OpenAPI. */
  readonly schema: JsonSchema
  /** Filter ops the column allows, `isNull` aside (the model adds it for nullable columns). */
  readonly ops: readonly FilterOp[]
  /** Whether ORDER BY and keyset cursors are exact for it (not for TEXT, BLOB, JSON, SET). */
  readonly sortable: boolean
  /** How a bound value is written where the column is compared with it; `?` unless the type needs a cast. */
  readonly placeholder?: string
  /**
   * Why a JSON value (already of the schema's JSON type) cannot be stored exactly as sent —
   * out of range, too precise, too long, not a real date — or undefined when it can. What
   * the database would refuse or silently change is refused here, before any SQL is sent.
   */
  problemWith(value: unknown): string | undefined
  /** A JSON value that passed problemWith, as the bind parameter for a write or a filter. */
  toDatabase(value: unknown): unknown
  /** A non-null value as mysql2 returns it (prepared statement, binary protocol) as its JSON value. */
  fromDatabase(raw: unknown): unknown
  /** How a SELECT reads the column when not as itself (a DATETIME(6) as text: a JS Date keeps milliseconds only). */
  readExpression?(sqlColumn: string): string
  /** Set when fromDatabase must see NULL too (a transformer's from() may map it, as TypeORM lets it). */
  readonly mapsNull?: boolean
  /** A query-string value as a JSON value of the column, or undefined when the text is not one. */
  parseText(text: string): unknown
  /** A non-null row value (raw, as mysql2 returns it) in the JSON-safe form a cursor carries. */
  toCursor(raw: unknown): unknown
  /** A cursor's value back as a bind parameter, or undefined when it cannot belong to the column. */
  fromCursor(value: unknown): unknown
}

export const ORDERED_OPS: readonly FilterOp[] = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'nin']
/** Numbers and dates: the ordered ops and an inclusive range. */
export const RANGE_OPS: readonly FilterOp[] = [...ORDERED_OPS, 'between']
/** Ops whose value is a LIKE pattern (`like`, `notLike`) or a literal the pattern is made from. */
export const PATTERN_OPS: readonly FilterOp[] = ['like', 'notLike', 'contains', 'startsWith', 'endsWith']
/** Strings: ordered (by the collation) and matched by patterns. */
export const TEXT_OPS: readonly FilterOp[] = [...ORDERED_OPS, ...PATTERN_OPS]
export const EQUALITY_OPS: readonly FilterOp[] = ['eq', 'neq', 'in', 'nin']
export const NO_OPS: readonly FilterOp[] = []

/** The conversion of a value that needs none; row mappers skip columns whose fromDatabase is this. */
export const IDENTITY = (value: unknown) => value

/** Defaults for a codec whose JSON value is the database value, with the cursor holding it as is. */
export function plainCodec(
  spec: Pick<ColumnCodec, 'kind' | 'schema' | 'ops' | 'sortable' | 'problemWith' | 'parseText'> & Partial<ColumnCodec>
): ColumnCodec {
  return {
    toDatabase: IDENTITY,
    fromDatabase: IDENTITY,
    toCursor: IDENTITY,
    fromCursor: (value) => (spec.problemWith(value) === undefined && value !== null ? spec.toDatabase?.(value) ?? value : undefined),
    ...spec
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Lone surrogates cannot be stored as UTF-8: MariaDB would refuse the value (1366) or mangle it. */
export function unicodeProblem(value: string): string | undefined {
  return LONE_SURROGATE.test(value) ? 'must be valid Unicode (it has an unpaired surrogate)' : undefined
}

/** Decimal digits only, an optional minus: the one rule for integers in URLs (no `0x10`, ` 2`, `+2`, `2e0`). */
export const INTEGER_TEXT = /^-?[0-9]{1,20}$/

/** The same for other numbers: digits with an optional fraction (no exponent, no `Infinity`). */
export const DECIMAL_NUMBER_TEXT = /^-?[0-9]{1,400}(\.[0-9]{1,400})?$/
