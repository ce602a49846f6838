import type { EntityMetadata } from 'typeorm'

/**
 * TypeORM sets an entity's update-date column to a bare CURRENT_TIMESTAMP, dropping the
 * fractional seconds a DATETIME(3) keeps, so an update in the same second as the insert
 * could look older than createdAt. Spread this into an UPDATE's values to stamp it at the
 * column's own precision; it is empty for entities without such a column or precision.
 */
export function updateDateStamp(metadata: EntityMetadata): Record<string, () => string> {
  const column = metadata.updateDateColumn
  if (!column?.precision) return {}
  return { [column.propertyName]: () => `CURRENT_TIMESTAMP(${Number(column.precision)})` }
}
