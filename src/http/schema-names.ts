import type { DataSource, EntityMetadata } from 'typeorm'

/**
 * Translates the database names a driver message quotes (a unique key, a column) into the
 * names an API client knows: the entity and its properties, from TypeORM's metadata. Built
 * from whatever DataSource the app runs, so src/http never imports an entity.
 */
export interface SchemaNames {
  /** The entity and properties of a unique key (index or constraint, or PRIMARY with a table). */
  uniqueKey(key: string, table?: string): { entity: string; properties: string[] } | undefined
  /** The property a column holds; unknown columns and ambiguous names give undefined. */
  property(column: string, table?: string): string | undefined
}

const built = new WeakMap<DataSource, SchemaNames>()

/** Built once per DataSource, on first use (metadata is complete once it is initialised). */
export function schemaNamesOf(dataSource: DataSource): SchemaNames {
  let names = built.get(dataSource)
  if (!names) {
    names = fromMetadata(dataSource.entityMetadatas)
    built.set(dataSource, names)
  }
  return names
}

interface UniqueKeyEntry {
  table: string
  entity: string
  properties: string[]
}

interface ColumnEntry {
  table: string
  property: string
}

export function fromMetadata(metadatas: readonly EntityMetadata[]): SchemaNames {
  const keys = new Map<string, UniqueKeyEntry[]>()
  const columns = new Map<string, ColumnEntry[]>()
  const add = <T>(map: Map<string, T[]>, name: string, entry: T) => map.set(name, [...(map.get(name) ?? []), entry])

  for (const metadata of metadatas) {
    const table = metadata.tableName
    const entity = metadata.name
    for (const index of metadata.indices) {
      if (index.isUnique && index.name) add(keys, index.name, { table, entity, properties: index.columns.map((c) => c.propertyPath) })
    }
    for (const unique of metadata.uniques) {
      if (unique.name) add(keys, unique.name, { table, entity, properties: unique.columns.map((c) => c.propertyPath) })
    }
    // MySQL names every primary key PRIMARY: only a known table tells them apart.
    add(keys, 'PRIMARY', { table, entity, properties: metadata.primaryColumns.map((c) => c.propertyPath) })
    for (const column of metadata.columns) add(columns, column.databaseName, { table, property: column.propertyPath })
  }

  return {
    uniqueKey(key, table) {
      const match = only(keys.get(key), table)
      return match && { entity: match.entity, properties: match.properties }
    },
    property(column, table) {
      const candidates = columns.get(column)
      if (table !== undefined) return only(candidates, table)?.property
      // Without a table: fine as long as every table holding the column maps it to one property (id, createdAt).
      const properties = new Set(candidates?.map((c) => c.property))
      return properties.size === 1 ? [...properties][0] : undefined
    }
  }
}

function only<T extends { table: string }>(entries: T[] | undefined, table: string | undefined): T | undefined {
  const matching = table === undefined ? entries : entries?.filter((entry) => entry.table === table)
  return matching?.length === 1 ? matching[0] : undefined
}
