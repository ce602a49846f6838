import { Buffer } from 'node:buffer'
import type { Driver } from 'typeorm'
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata'
import { ApplyValueTransformers } from 'typeorm/util/ApplyValueTransformers'
import { DECIMAL_NUMBER_TEXT, NO_OPS, PATTERN_OPS, type ColumnCodec, type JsonSchema } from './codec'
import { parseDateTime } from './temporal'
import { asTypeOrmReads } from './typeorm-reads'

/** What a transformer's `from()` hands the entity, as found by trying it at start-up. */
type EntityValueType = 'number' | 'string' | 'boolean' | 'date' | 'document' | 'bytes'

/**
 * A column with a TypeORM ValueTransformer. The entity property is whatever `from()` makes
 * of the value TypeORM hydrates, so the JSON form follows the transformer, not the column:
 * it is found once at start-up by calling TypeORM's own hydration (transformer included) on a
 * sample value of the column. Reads hydrate exactly as TypeORM does; writes and filters run
 * `to()` and then the column's own checks and binding, so a transformer cannot smuggle a value
 * past the column's limits. A transformer whose output has no JSON form is refused at start-up.
 */
export function transformedCodec(base: ColumnCodec, column: ColumnMetadata, driver: Driver, sampleRaw: unknown): ColumnCodec {
  const entityValue = (raw: unknown) => driver.prepareHydratedValue(asTypeOrmReads(base, raw), column)
  const type = entityValueTypeOf(entityValue(sampleRaw))
  if (type === undefined) {
    throw new Error(
      `${column.entityMetadata.name}.${column.propertyName}: its transformer's from() returned ${describe(entityValue(sampleRaw))} ` +
        'for a sample value; the REST layer needs a number, string, boolean, Date, Buffer or plain JSON value'
    )
  }
  const transformer = column.transformer!
  /** A JSON value of the entity property -> the column's own JSON value, through `to()`. */
  const toColumnJson = (json: unknown) => columnJsonOf(ApplyValueTransformers.transformTo(transformer, entityValueOf(type, json)))
  const scalar = type !== 'document' && type !== 'bytes'
  return {
    kind: base.kind,
    schema: schemaFor(type, base),
    ops: scalar ? (type === 'string' ? base.ops : base.ops.filter((op) => !PATTERN_OPS.includes(op))) : NO_OPS,
    sortable: base.sortable,
    placeholder: base.placeholder,
    readExpression: base.readExpression,
    problemWith: (value) => {
      // NULL goes through to() as TypeORM sends it; whether the column takes it is the schema's call.
      if (value === null) return column.isNullable ? undefined : 'must not be null'
      const typeProblem = jsonTypeProblem(type, value)
      if (typeProblem) return typeProblem
      let columnJson: unknown
      try {
        columnJson = toColumnJson(value)
      } catch {
        return 'is not accepted by the column\'s transformer'
      }
      return columnJson === null || columnJson === undefined ? undefined : base.problemWith(columnJson)
    },
    toDatabase: (value) => {
      const columnJson = toColumnJson(value)
      return columnJson === null || columnJson === undefined ? null : base.toDatabase(columnJson)
    },
    fromDatabase: (raw) => jsonOf(entityValue(raw)),
    mapsNull: true,
    parseText: (text) => parseEntityText(type, text),
    toCursor: base.toCursor,
    fromCursor: base.fromCursor
  }
}

function entityValueTypeOf(value: unknown): EntityValueType | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : undefined
  if (typeof value === 'string') return 'string'
  if (typeof value === 'boolean') return 'boolean'
  if (value instanceof Date) return 'date'
  if (Buffer.isBuffer(value)) return 'bytes'
  if (Array.isArray(value)) return 'document'
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return 'document'
  return undefined
}

function schemaFor(type: EntityValueType, base: ColumnCodec): JsonSchema {
  switch (type) {
    case 'number':
      // A DECIMAL or integer column keeps its range; its checks still run on what to() returns.
      if (base.schema.type === 'integer' || base.schema.type === 'number') return base.schema
      return base.kind === 'decimal' ? { type: 'number', description: base.schema.description } : { type: 'number' }
    case 'string':
      return base.schema.type === 'string' ? base.schema : { type: 'string' }
    case 'boolean':
      return { type: 'boolean' }
    case 'date':
      return { type: 'string', format: 'date-time' }
    case 'bytes':
      return { type: 'string', format: 'byte' }
    case 'document':
      return { description: 'any JSON document' }
  }
}

function jsonTypeProblem(type: EntityValueType, value: unknown): string | undefined {
  switch (type) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number'
    case 'string':
      return typeof value === 'string' ? undefined : 'must be a string'
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false'
    case 'date': {
      if (typeof value !== 'string') return 'must be a date-time string'
      const parsed = parseDateTime(value)
      return typeof parsed === 'string' ? parsed : undefined
    }
    case 'bytes':
      return typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value) ? undefined : 'must be base64'
    case 'document':
      return value === undefined ? 'must be a JSON document' : undefined
  }
}

/** A JSON value as the entity property holds it (what `to()` receives). */
function entityValueOf(type: EntityValueType, json: unknown): unknown {
  if (json === null || json === undefined) return json
  if (type === 'date') return new Date(json as string)
  if (type === 'bytes') return Buffer.from(json as string, 'base64')
  return json
}

/** An entity value as JSON: dates as RFC 3339, bytes as base64, the rest as is. */
function jsonOf(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString()
  if (Buffer.isBuffer(value)) return value.toString('base64')
  return value
}

/** What `to()` returned, in the JSON form the column's own codec checks and binds. */
function columnJsonOf(value: unknown): unknown {
  if (value instanceof Date) {
    const milliseconds = value.getUTCMilliseconds()
    // Only as many fractional digits as the value has, so a DATETIME(0) takes a whole-second Date.
    const fraction = milliseconds === 0 ? '' : ('.' + String(milliseconds).padStart(3, '0')).replace(/0+$/, '')
    return value.toISOString().replace(/\.[0-9]{3}Z$/, `${fraction}Z`)
  }
  if (Buffer.isBuffer(value)) return value.toString('base64')
  return value
}

function parseEntityText(type: EntityValueType, text: string): unknown {
  switch (type) {
    case 'number': {
      if (!DECIMAL_NUMBER_TEXT.test(text)) return undefined
      const value = Number(text)
      return Number.isFinite(value) ? value : undefined
    }
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : undefined
    case 'string':
    case 'date':
      return text
    default:
      return undefined
  }
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  return typeof value === 'object' ? `an instance of ${value.constructor?.name ?? 'Object'}` : `a ${typeof value}`
}
