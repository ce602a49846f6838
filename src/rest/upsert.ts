import type { FieldValue } from './body-values'
import type { ResourceModel, RestField } from './resource-model'
import type { RowAccess } from './row-source'
import type { WriteStatements } from './write-sql'
import { quoteIdentifier } from './naming'

type Row = Record<string, unknown>

/** One row of an upsert as it ended: its key, and whether it was created or an existing row updated. */
export interface Upserted {
  key: unknown
  created: boolean
}

/**
 * Creates a row, or updates the row a unique key of it already designates (the primary key or
 * a unique index): `Prefer: resolution=merge-duplicates`, one `INSERT … ON DUPLICATE KEY
 * UPDATE` per row (write-sql.ts). The database settles it atomically — the duplicate is
 * locked exclusively at once, so concurrent upserts of one key serialise: one creates, the
 * others update, and none deadlocks, which an INSERT followed by an UPDATE would (both hold a
 * shared lock from the duplicate check, each then wants it exclusively). Its one rule to know:
 * when the row's values collide with several rows through several unique keys, the first
 * duplicate found is the row updated (docs/rest.md says so).
 */
export class Upserter {
  /** The entity's unique indexes, as fields: where an updated row is found when the driver does not give its key. */
  private readonly uniqueKeys: RestField[][]

  constructor(
    private readonly model: ResourceModel,
    private readonly statements: WriteStatements
  ) {
    const fieldOf = (propertyPath: string) => model.creatable.find((field) => field.metadata.propertyPath === propertyPath)
    const keys = [...model.metadata.indices.filter((index) => index.isUnique), ...model.metadata.uniques].map((key) => key.columns.map((column) => fieldOf(column.propertyPath)))
    this.uniqueKeys = keys.filter((fields): fields is RestField[] => fields.every((field) => field !== undefined))
  }

  async upsert(access: RowAccess, values: FieldValue[]): Promise<Upserted> {
    const { statement, values: bound, key } = this.statements.upsert(values)
    const result = (await access.run(statement, bound)) as unknown as { affectedRows: number; insertId: number }
    // 1: inserted; 2: an existing row updated; 0: an existing row that already held every value.
    const created = result.affectedRows === 1
    if (this.model.keyGeneration === 'increment') return { key: result.insertId, created }
    if (created) return { key, created }
    return { key: await this.keyOfHolder(access, values), created }
  }

  /**
   * An updated row's key when the driver cannot say it (no auto-increment): the row holding
   * the values sent for a unique key, tried in the order InnoDB checks them (the primary key,
   * then each unique index), which is the order that picked the row.
   */
  private async keyOfHolder(access: RowAccess, values: FieldValue[]): Promise<unknown> {
    const { model } = this
    for (const fields of [[model.primary], ...this.uniqueKeys]) {
      const sent = fields.map((field) => values.find((each) => each.field === field)?.value)
      if (sent.some((value) => value === undefined)) continue
      const where = [model.scope.sql, ...fields.map((field) => `${model.sqlTable}.${field.sqlColumn} = ?`)].filter(Boolean).join(' AND ')
      const [row] = await access.run<Row>(`SELECT ${model.primary.sqlColumn} AS ${quoteIdentifier('key')} FROM ${model.sqlTable} WHERE ${where}`, [...model.scope.values, ...sent])
      if (row !== undefined) return row.key
    }
    throw new Error(`${model.name}: an upsert updated a row that no unique key of the body finds`)
  }
}
