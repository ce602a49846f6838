import type { Driver } from 'typeorm'
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata'
import { binaryCodec } from './binary'
import type { ColumnCodec, ColumnKind } from './codec'
import { documentCodec } from './documents'
import { bigintCodec, booleanCodec, integerCodec, yearCodec } from './integers'
import { decimalCodec, EXACT_NUMBER_PRECISION, floatCodec } from './numbers'
import { enumCodec, setCodec, simpleArrayCodec, stringCodec, textCodec, uuidCodec } from './strings'
import { dateCodec, dateTimeCodec, timeCodec } from './temporal'
import { transformedCodec } from './transformed'

export type { ColumnCodec, ColumnKind, FilterOp, JsonSchema } from './codec'

type CodecFactory = (column: ColumnMetadata, type: string) => ColumnCodec

const integer: CodecFactory = (column, type) => integerCodec(type === 'integer' ? 'int' : type, isUnsigned(column))
const decimal: CodecFactory = (column) =>
  decimalCodec(column.precision ?? undefined, column.scale, isUnsigned(column), (column.precision ?? 10) <= EXACT_NUMBER_PRECISION ? 'number' : 'string')
const char: CodecFactory = (column) => stringCodec('char', lengthOf(column), column.charset)
const varchar: CodecFactory = (column) => stringCodec('varchar', lengthOf(column), column.charset)
const text: CodecFactory = (column, type) => textCodec(type, column.charset)
const binary: CodecFactory = (column, type) => binaryCodec(type, lengthOf(column))

/** Every column type TypeORM's mysql/mariadb driver maps and the REST layer serves. */
const CODEC_OF_TYPE: Record<string, CodecFactory> = {
  tinyint: integer,
  smallint: integer,
  mediumint: integer,
  int: integer,
  integer: integer,
  bigint: (column) => bigintCodec(isUnsigned(column)),
  year: () => yearCodec(),
  bool: () => booleanCodec(),
  boolean: () => booleanCodec(),
  decimal,
  dec: decimal,
  numeric: decimal,
  fixed: decimal,
  float: () => floatCodec(true),
  double: () => floatCodec(false),
  'double precision': () => floatCodec(false),
  real: () => floatCodec(false),
  char,
  nchar: char,
  'national char': char,
  varchar,
  nvarchar: varchar,
  'national varchar': varchar,
  'character varying': varchar,
  tinytext: text,
  text,
  mediumtext: text,
  longtext: text,
  enum: (column) => enumCodec(column.enum ?? []),
  'simple-enum': (column) => enumCodec(column.enum ?? []),
  set: (column) => setCodec((column.enum ?? []).map(String)),
  uuid: () => uuidCodec(),
  date: () => dateCodec(),
  time: (column) => timeCodec(column.precision ?? undefined),
  datetime: (column) => dateTimeCodec(column.precision ?? undefined, false),
  timestamp: (column) => dateTimeCodec(column.precision ?? undefined, true),
  json: () => documentCodec('json'),
  'simple-json': () => documentCodec('simple-json'),
  'simple-array': () => simpleArrayCodec(),
  binary,
  varbinary: binary,
  tinyblob: binary,
  blob: binary,
  mediumblob: binary,
  longblob: binary
}

export const SUPPORTED_COLUMN_TYPES = Object.keys(CODEC_OF_TYPE)

/** A value of each kind as mysql2 returns it, to find out what a transformer makes of it. */
const SAMPLE_RAW: Record<ColumnKind, (column: ColumnMetadata) => unknown> = {
  integer: () => 1,
  year: () => 2000,
  bigint: () => '1',
  boolean: () => 1,
  decimal: (column) => (column.scale ? '1.' + '0'.repeat(column.scale) : '1'),
  float: () => 1.5,
  string: () => 'x',
  text: () => 'x',
  enum: (column) => String(column.enum?.[0] ?? ''),
  set: (column) => String(column.enum?.[0] ?? ''),
  uuid: () => '00000000-0000-4000-8000-000000000000',
  date: () => '2000-01-01',
  time: () => '00:00:00',
  datetime: () => '2000-01-01 00:00:00',
  json: () => '{}',
  'simple-json': () => '{}',
  'simple-array': () => 'x',
  binary: () => Buffer.from([1])
}

/**
 * The codec for a column, or an Error whose message names the column and says what to do:
 * a type the REST layer cannot serve exactly is refused at start-up, never a 500 later.
 */
export function codecOf(column: ColumnMetadata, driver: Driver): ColumnCodec {
  const type = typeNameOf(column)
  const factory = type === undefined ? undefined : CODEC_OF_TYPE[type]
  if (!factory) {
    throw new Error(
      `${column.entityMetadata.name}.${column.propertyName}: column type "${String(type ?? column.type)}" is not supported ` +
        `by the REST layer (supported: ${SUPPORTED_COLUMN_TYPES.join(', ')}); leave it out of "readable" and "writable"`
    )
  }
  const base = factory(column, type!)
  return column.transformer ? transformedCodec(base, column, driver, SAMPLE_RAW[base.kind](column)) : base
}

/**
 * The column's MySQL type name. Without an explicit `type`, TypeORM takes the property's
 * design type (Number, String, Boolean, Date, Buffer) and maps it as its driver does.
 */
function typeNameOf(column: ColumnMetadata): string | undefined {
  const type = column.type as unknown
  if (typeof type === 'string') return type.toLowerCase()
  if (type === Number) return 'int'
  if (type === String) return 'varchar'
  if (type === Boolean) return 'boolean'
  if (type === Date) return 'datetime'
  if (typeof type === 'function' && (type === Buffer || type.prototype instanceof Uint8Array)) return 'blob'
  return undefined
}

function isUnsigned(column: ColumnMetadata): boolean {
  return Boolean(column.unsigned || (column as { zerofill?: boolean }).zerofill)
}

function lengthOf(column: ColumnMetadata): number | undefined {
  return column.length ? Number(column.length) : undefined
}
