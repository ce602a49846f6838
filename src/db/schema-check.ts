import type { DataSource, EntityMetadata } from 'typeorm'

/** A table one entity needs, and the columns it reads and writes there. */
interface NeededTable {
  entity: string
  database: string
  table: string
  columns: string[]
}

/** What one entity needs from the live schema and does not find there. */
export interface SchemaGap {
  entity: string
  table: string
  /** Every column is missing when the table itself is. */
  tableMissing: boolean
  missingColumns: string[]
}

/** The live schema lacks what an entity needs; the message is the one line an operator reads. */
export class SchemaMismatchError extends Error {
  override name = 'SchemaMismatchError'
  constructor(readonly gaps: SchemaGap[]) {
    const described = gaps.map(({ entity, table, tableMissing, missingColumns }) =>
      tableMissing
        ? `${entity} needs table ${table}, which does not exist`
        : `${entity} needs ${missingColumns.length === 1 ? 'column' : 'columns'} ${missingColumns.join(', ')} in table ${table}`
    )
    super(
      `the database schema is behind the entities: ${described.join('; ')}; ` +
        'write a migration with `npm run migration:generate -- migrations/<name>` and apply it'
    )
  }
}

/**
 * The tables and columns of `metadatas` that the live schema lacks. Generic over TypeORM's
 * metadata: a single-table-inheritance child names its parent's table, an embedded object's
 * columns are columns of the owner's table, and a many-to-many relation needs its junction table.
 */
export async function findSchemaGaps(dataSource: DataSource, metadatas: EntityMetadata[]): Promise<SchemaGap[]> {
  const defaultDatabase = dataSource.driver.database ?? ''
  const needed = metadatas.flatMap((metadata) => neededTables(metadata, defaultDatabase))
  if (needed.length === 0) return []
  const databases = [...new Set(needed.map((each) => each.database))]
  // COLUMNS alone answers both questions: every table (and view) has at least one column.
  const rows: Array<{ databaseName: string; tableName: string; columnName: string }> = await dataSource.query(
    'SELECT TABLE_SCHEMA AS databaseName, TABLE_NAME AS tableName, COLUMN_NAME AS columnName ' +
      `FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (${databases.map(() => '?').join(', ')})`,
    databases
  )
  // Table names are case-sensitive unless the server folds them (lower_case_table_names); column names never are.
  const [{ folds }] = await dataSource.query('SELECT @@lower_case_table_names AS folds')
  const tableKey = (database: string, table: string) => (Number(folds) === 0 ? `${database}.${table}` : `${database}.${table}`.toLowerCase())
  const live = new Map<string, Set<string>>()
  for (const row of rows) {
    const key = tableKey(row.databaseName, row.tableName)
    if (!live.has(key)) live.set(key, new Set())
    live.get(key)!.add(row.columnName.toLowerCase())
  }

  const gaps: SchemaGap[] = []
  for (const { entity, database, table, columns } of needed) {
    const liveColumns = live.get(tableKey(database, table))
    const missingColumns = columns.filter((column) => !liveColumns?.has(column.toLowerCase()))
    if (missingColumns.length > 0) gaps.push({ entity, table, tableMissing: !liveColumns, missingColumns })
  }
  return gaps
}

/** Throws a SchemaMismatchError naming every gap at once, so one migration can close them all. */
export async function refuseSchemaGaps(dataSource: DataSource, metadatas: EntityMetadata[]): Promise<void> {
  const gaps = await findSchemaGaps(dataSource, metadatas)
  if (gaps.length > 0) throw new SchemaMismatchError(gaps)
}

function neededTables(metadata: EntityMetadata, defaultDatabase: string): NeededTable[] {
  const own = tableOf(metadata.name, metadata, defaultDatabase)
  const junctions = metadata.manyToManyRelations
    .map((relation) => relation.junctionEntityMetadata)
    .filter((junction): junction is EntityMetadata => junction !== undefined)
    .map((junction) => tableOf(metadata.name, junction, defaultDatabase))
  return [own, ...junctions]
}

function tableOf(entity: string, metadata: EntityMetadata, defaultDatabase: string): NeededTable {
  return {
    entity,
    database: metadata.database ?? defaultDatabase,
    table: metadata.tableName,
    // A @VirtualColumn is a subquery computed on read, not a column of the table.
    columns: metadata.columns.filter((column) => !column.isVirtualProperty).map((column) => column.databaseName)
  }
}
