import type { DataSource } from 'typeorm'
import type { StartupLog } from '../db/wait-for-database'
import type { ResourceModel, RestField } from './resource-model'

/** A `sortable` or `filterable` field no index of the live schema can serve. */
export interface IndexGap {
  entity: string
  /** The field's property path, as `filterable`/`sortable` name it. */
  field: string
  table: string
  column: string
  sortable: boolean
  filterable: boolean
  /** The one line an operator or a CI log reads. */
  message: string
}

/** REST_REQUIRE_INDEXES is on and some field lacks an index; the message is one line naming every field. */
export class MissingIndexesError extends Error {
  override name = 'MissingIndexesError'
  constructor(readonly gaps: IndexGap[]) {
    super(
      `${gaps.length === 1 ? '1 field lacks' : `${gaps.length} fields lack`} an index (REST_REQUIRE_INDEXES is on): ` +
        gaps.map((gap) => `${gap.entity}.${gap.field} (${gap.table}.${gap.column})`).join(', ') +
        '; add an @Index() to each and a migration, or run `npm run rest:check` for the advice'
    )
  }
}

/** One row of information_schema.STATISTICS: one column of one index. */
interface IndexColumnRow {
  TABLE_SCHEMA: string
  TABLE_NAME: string
  INDEX_NAME: string
  SEQ_IN_INDEX: number | string
  COLUMN_NAME: string | null
  SUB_PART: number | string | null
  INDEX_TYPE: string
  /** MariaDB 10.6+: an IGNORED index is never used by the optimiser. */
  IGNORED?: string
}

/** What the first column of an index can serve: a prefix index can narrow a filter but not order rows. */
interface LeadingColumn {
  filter: boolean
  sort: boolean
}

/**
 * The sortable and filterable fields of `models` that no index of the live schema starts with.
 *
 * InnoDB appends the primary key to every secondary index, so an index whose FIRST column is the
 * field serves `WHERE field ...` and the keyset cursor's `ORDER BY field, pk` (the primary key
 * itself serves the primary field). A composite index (unique or not) counts when the field leads
 * it. FULLTEXT and SPATIAL indexes serve neither, a prefix index (`SUB_PART`) serves filters only,
 * and an IGNORED index nothing.
 */
export async function findIndexGaps(dataSource: DataSource, models: ResourceModel[]): Promise<IndexGap[]> {
  const defaultDatabase = dataSource.driver.database ?? ''
  const databaseOf = (model: ResourceModel) => model.metadata.database ?? defaultDatabase
  const checked = models.filter((model) => model.sortable.length + model.filterable.length > 0)
  if (checked.length === 0) return []
  const databases = [...new Set(checked.map(databaseOf))]
  // SELECT *: IGNORED exists only on MariaDB 10.6+, and naming it would break the query elsewhere.
  const rows: IndexColumnRow[] = await dataSource.query(
    `SELECT * FROM information_schema.STATISTICS WHERE TABLE_SCHEMA IN (${databases.map(() => '?').join(', ')}) AND SEQ_IN_INDEX = 1`,
    databases
  )
  // Table names are case-sensitive unless the server folds them (lower_case_table_names); column names never are.
  const [{ folds }] = await dataSource.query('SELECT @@lower_case_table_names AS folds')
  const tableKey = (database: string, table: string) => (Number(folds) === 0 ? `${database}.${table}` : `${database}.${table}`.toLowerCase())
  const leading = new Map<string, LeadingColumn>()
  for (const row of rows) {
    if (row.COLUMN_NAME === null || row.IGNORED === 'YES' || /^(FULLTEXT|SPATIAL)$/i.test(row.INDEX_TYPE)) continue
    const key = `${tableKey(row.TABLE_SCHEMA, row.TABLE_NAME)}.${row.COLUMN_NAME.toLowerCase()}`
    const served = leading.get(key) ?? { filter: false, sort: false }
    served.filter = true
    if (row.SUB_PART === null) served.sort = true
    leading.set(key, served)
  }

  const gaps: IndexGap[] = []
  for (const model of checked) {
    const table = model.metadata.tableName
    const fields = [...new Set([...model.filterable, ...model.sortable])]
    for (const field of fields) {
      const served = leading.get(`${tableKey(databaseOf(model), table)}.${field.column.toLowerCase()}`)
      const sortable = model.sortable.includes(field) && !served?.sort
      const filterable = model.filterable.includes(field) && !served?.filter
      if (sortable || filterable) gaps.push(gapOf(model.name, table, field, sortable, filterable))
    }
  }
  return gaps
}

/**
 * Start-up's advice: one warning per field without an index, or, with `requireIndexes`
 * (REST_REQUIRE_INDEXES), a MissingIndexesError naming them all. Returns the gaps.
 */
export async function adviseIndexes(
  dataSource: DataSource,
  models: ResourceModel[],
  { requireIndexes, log }: { requireIndexes: boolean; log: StartupLog }
): Promise<IndexGap[]> {
  const gaps = await findIndexGaps(dataSource, models)
  if (requireIndexes && gaps.length > 0) throw new MissingIndexesError(gaps)
  for (const { message, ...gap } of gaps) log.warn(gap, message)
  return gaps
}

function gapOf(entity: string, table: string, field: RestField, sortable: boolean, filterable: boolean): IndexGap {
  const role = sortable && filterable ? 'sortable and filterable' : sortable ? 'sortable' : 'filterable'
  const cost = sortable
    ? filterable
      ? 'every filtered page scans the table and every sorted page scans and sorts it'
      : 'every sorted page scans and sorts the table'
    : 'every filtered page scans the table'
  const message =
    `${entity}.${field.name} is ${role} but no index starts with ${table}.${field.column}: ${cost}; ` +
    `${remedyOf(entity, table, field)} (or REST_REQUIRE_INDEXES=1 refuses to start)`
  return { entity, field: field.name, table, column: field.column, sortable, filterable, message }
}

/**
 * TEXT and BLOB columns take an index only on a prefix, which `@Index()` cannot declare. (They are
 * never sortable: buildResourceModel refuses that, so a prefix index's inability to sort never matters here.)
 */
export function remedyOf(entity: string, table: string, field: RestField): string {
  const type = typeof field.metadata.type === 'string' ? field.metadata.type.toLowerCase() : ''
  if (!/text|blob|json/.test(type)) return `add @Index() to ${entity}.${field.name}`
  return `add a prefix index in a migration (CREATE INDEX ... ON ${table} (${field.column}(100))) or leave ${entity}.${field.name} out of "filterable"`
}
