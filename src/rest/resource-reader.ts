import type { DataSource } from 'typeorm'
import { executePooled, poolOf, type ConnectionLender } from '../db/pooled-query'
import { quoteIdentifier } from './naming'
import type { ResourceModel, RestField } from './resource-model'
import { rowMapperOf, type RowMapper } from './row-mapper'
import { etagOf } from './preconditions'

/** Row property the version is read into when the version is not a readable field. */
const HIDDEN_VERSION_KEY = '_version'

/**
 * Reads one entity row by primary key on the fast path: the SELECT and the row mapping are
 * built once, here, from metadata; a request only binds its id.
 */
export class ResourceReader {
  private readonly pool: ConnectionLender
  private readonly byIdSql: string
  private readonly mapRows: RowMapper
  private readonly versionKey?: string
  /** Properties a write's RETURNING clause must bring back to answer like findById. */
  readonly returnedProperties: string[]
  /** [key in the answered row, column in the RETURNING row] */
  private readonly returnedKeys: Array<[string, string]>

  constructor(dataSource: DataSource, model: ResourceModel) {
    this.pool = poolOf(dataSource)
    const columns = model.readable.map((field) => `${field.sqlColumn} AS ${quoteIdentifier(field.name)}`)
    const returned: Array<[string, RestField]> = model.readable.map((field) => [field.name, field])
    if (model.version) {
      const versionReadable = model.readable.includes(model.version)
      this.versionKey = versionReadable ? model.version.name : HIDDEN_VERSION_KEY
      if (!versionReadable) {
        columns.push(`${model.version.sqlColumn} AS ${quoteIdentifier(HIDDEN_VERSION_KEY)}`)
        returned.push([HIDDEN_VERSION_KEY, model.version])
      }
    }
    this.returnedProperties = returned.map(([, field]) => field.name)
    this.returnedKeys = returned.map(([key, field]) => [key, field.column])
    this.byIdSql = `SELECT ${columns.join(', ')} FROM ${model.sqlTable} WHERE ${model.primary.sqlColumn} = ? LIMIT 1`
    this.mapRows = rowMapperOf(model.readable)
  }

  async findById(id: unknown): Promise<Record<string, unknown> | undefined> {
    const rows = await executePooled<Record<string, unknown>>(this.pool, this.byIdSql, [id])
    return rows.length === 0 ? undefined : this.mapRows(rows)[0]
  }

  /** A row a RETURNING clause gave back (keyed by column), shaped as findById shapes it. */
  fromReturned(raw: Record<string, unknown>): Record<string, unknown> {
    const row: Record<string, unknown> = {}
    for (const [key, column] of this.returnedKeys) row[key] = raw[column]
    return this.mapRows([row])[0]
  }

  /** The row's ETag, or undefined for an entity without a version column. */
  etagOf(row: Record<string, unknown>): string | undefined {
    return this.versionKey === undefined ? undefined : etagOf(row[this.versionKey])
  }
}
