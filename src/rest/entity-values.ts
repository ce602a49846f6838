import type { Driver } from 'typeorm'
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata'
import type { ColumnCodec } from './kinds'
import { isoOf } from './kinds/temporal'
import { asTypeOrmReads } from './kinds/typeorm-reads'

/**
 * Values as an entity instance holds them, for entities whose listeners and subscribers see
 * instances (src/rest/entity-events.ts). An instance is filled exactly as TypeORM's own
 * hydration fills it, and what a listener changed is written exactly as TypeORM would write
 * it; values nobody changed keep their exact JSON and bind forms (microseconds and all).
 */

/** The entity value TypeORM would hydrate from a raw row value (or from a value about to be bound). */
export function hydrate(driver: Driver, column: ColumnMetadata, codec: ColumnCodec, raw: unknown): unknown {
  return driver.prepareHydratedValue(asTypeOrmReads(codec, raw), column)
}

/** The value TypeORM would bind for an entity value (transformer, then its type conversions). */
export function persist(driver: Driver, column: ColumnMetadata, value: unknown): unknown {
  return driver.preparePersistentValue(value, column)
}

/** Whether a listener left a value as it was given. */
export function sameEntityValue(before: unknown, after: unknown): boolean {
  if (before === after) return true
  if (before instanceof Date && after instanceof Date) return before.getTime() === after.getTime()
  if (Buffer.isBuffer(before) && Buffer.isBuffer(after)) return before.equals(after)
  if (before !== null && after !== null && typeof before === 'object' && typeof after === 'object') {
    return JSON.stringify(before) === JSON.stringify(after)
  }
  return false
}

/** An entity value a listener set, in the JSON form the column's codec answers. */
export function jsonOfEntityValue(codec: ColumnCodec, precision: number, value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (value instanceof Date) {
    if (codec.kind === 'date') return value.toISOString().slice(0, 10)
    if (codec.kind === 'datetime') return isoOf(value.toISOString().replace('T', ' ').replace('Z', ''), precision)
    return value.toISOString()
  }
  if (Buffer.isBuffer(value)) return value.toString('base64')
  if (codec.kind === 'decimal' || codec.kind === 'bigint') return codec.schema.type === 'number' ? Number(value) : String(value)
  if (codec.kind === 'boolean') return Boolean(value)
  return value
}
