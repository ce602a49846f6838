import type { DataSource } from 'typeorm'
import type { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver'
import { ApplyValueTransformers } from 'typeorm/util/ApplyValueTransformers'
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata'
import { executePooled, poolOf, type ConnectionLender } from '../db/pooled-query'
import type { ColumnKind } from './column-kinds'
import { quoteIdentifier } from './naming'
import type { ResourceModel, RestField } from './resource-model'

/** Kinds whose JSON value mysql2 binds exactly as TypeORM would store it (dates are not: TypeORM reformats them). */
const DIRECTLY_BOUND_KINDS = new Set<ColumnKind>(['integer', 'bigint', 'decimal', 'float', 'boolean', 'string', 'text', 'enum'])

/**
 * POST's fast path: `INSERT ... RETURNING` built once per set of supplied fields from the
 * entity's metadata and run as a prepared statement on the guarded pool, so a create costs
 * one round trip and no QueryBuilder. It is only used where TypeORM would add nothing to
 * that INSERT (see `fastInsertApplies`); every other entity keeps TypeORM's insert.
 */
export class FastInserter {
  private readonly pool: ConnectionLender
  private readonly statements = new Map<string, string>()
  private readonly fieldsByName: Map<string, { sqlColumn: string; column: ColumnMetadata }>
  private readonly returning: string
  private readonly fixedColumns: string
  private readonly fixedValues: string

  constructor(
    dataSource: DataSource,
    private readonly model: ResourceModel,
    returnedProperties: string[]
  ) {
    this.pool = poolOf(dataSource)
    this.fieldsByName = new Map(
      model.writable.map((field) => [field.name, { sqlColumn: field.sqlColumn, column: columnOf(model, field) }])
    )
    this.returning = returnedProperties.map((name) => columnOf(model, { name }).databaseName).map(quoteIdentifier).join(', ')
    // TypeORM starts every version column at 1; the dates and the key come from the database's defaults.
    this.fixedColumns = model.version ? model.version.sqlColumn : ''
    this.fixedValues = model.version ? '1' : ''
  }

  /** Inserts the body's writable fields; resolves to the stored row keyed by column name. */
  async insert(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const names = Object.keys(body).filter((name) => this.fieldsByName.has(name))
    const values = names.map((name) => {
      const { column } = this.fieldsByName.get(name)!
      const value = body[name]
      return column.transformer ? ApplyValueTransformers.transformTo(column.transformer, value) : value
    })
    const rows = await executePooled<Record<string, unknown>>(this.pool, this.statementFor(names), values)
    return rows[0]
  }

  private statementFor(names: string[]): string {
    const key = names.join(',')
    let sql = this.statements.get(key)
    if (sql === undefined) {
      const columns = names.map((name) => this.fieldsByName.get(name)!.sqlColumn)
      const placeholders = names.map(() => '?')
      if (this.fixedColumns) {
        columns.push(this.fixedColumns)
        placeholders.push(this.fixedValues)
      }
      sql = `INSERT INTO ${this.model.sqlTable} (${columns.join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING ${this.returning}`
      this.statements.set(key, sql)
    }
    return sql
  }
}

/**
 * The fast INSERT may replace TypeORM's only when TypeORM would add nothing: no entity
 * listeners or subscribers to call, a key the database generates (AUTO_INCREMENT), every
 * writable column bound as-is, and a server that answers the INSERT with the row (MariaDB >= 10.5).
 */
export function fastInsertApplies(dataSource: DataSource, model: ResourceModel): boolean {
  const { metadata } = model
  return (
    (dataSource.driver as MysqlDriver).isReturningSqlSupported('insert') &&
    dataSource.subscribers.length === 0 &&
    metadata.ownListeners.length === 0 &&
    metadata.listeners.length === 0 &&
    model.primaryAutoIncrement &&
    model.writable.every((field) => DIRECTLY_BOUND_KINDS.has(field.kind) && !field.generated) &&
    metadata.columns.every((column) => !column.isGenerated || column.isPrimary) &&
    metadata.columns.every((column) => !column.isVirtual)
  )
}

function columnOf(model: ResourceModel, field: Pick<RestField, 'name'>): ColumnMetadata {
  const column = model.metadata.findColumnWithPropertyName(field.name)
  if (!column) throw new Error(`${model.name}.${field.name} is not a column`)
  return column
}
