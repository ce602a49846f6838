import { randomUUID } from 'node:crypto'
import type { Statement } from '../db/pooled-query'
import type { FieldValue } from './body-values'
import type { ResourceModel, RestField } from './resource-model'
import { ownerCondition, type OwnerScope } from './access'

/** Distinct write shapes (sets of fields) kept per entity; past this a cache starts over. */
const MAX_CACHED_SHAPES = 200
/** Most rows one multi-row INSERT carries, and the server's bound on placeholders per statement. */
const MAX_ROWS_PER_INSERT = 512
const MAX_PLACEHOLDERS = 65_535
/** Most ETags one If-Match may list. */
export const MAX_IF_MATCH_TAGS = 16

/** SQL plus the bind values a request supplies, in `?` order. */
export interface BoundStatement {
  statement: Statement
  values: unknown[]
}

/**
 * INSERT, UPDATE and DELETE for one entity, written from its metadata once per shape (which
 * fields a body carries, how many ETags If-Match lists) and cached; a request only binds.
 * What TypeORM maintains itself is written here the way TypeORM writes it: the version
 * column starts at 1 and is bumped by every UPDATE, create and update dates are stamped by
 * the server at the column's own precision (every session is UTC), the discriminator of
 * single-table inheritance is set, a uuid key is generated, and `@DeleteDateColumn` turns
 * DELETE into a stamp. Identifiers come from metadata; every value is a `?`.
 */
export class WriteStatements {
  private readonly inserts = new Map<string, Statement>()
  private readonly upserts = new Map<string, Statement>()
  private readonly updates = new Map<string, Statement>()
  private readonly deletes = new Map<string, Statement>()

  constructor(
    private readonly model: ResourceModel,
    /** `col AS name, ...` for INSERT ... RETURNING, when the server answers an INSERT with its row. */
    private readonly returning: string | undefined
  ) {}

  /** INSERT of the body's values; `key` is the new row's key when Lifeguard or the client chose it. */
  insert(values: FieldValue[]): BoundStatement & { key: unknown } {
    const [bound] = this.insertMany([values])
    return { ...bound, key: bound.keys[0] }
  }

  /**
   * INSERTs of rows that each carry the same fields (one request's bulk), in row order: one
   * multi-row statement per power-of-two run of rows (1000 rows: 512, 256, 128, 64, 32, 8), so
   * a bulk of any size uses few distinct prepared statements and stays under the server's
   * 65,535 placeholders per statement. `keys` are the rows' keys when Lifeguard or the client chose them.
   */
  insertMany(rows: FieldValue[][]): Array<BoundStatement & { keys: unknown[] }> {
    const [first] = rows
    if (rows.length === 1) {
      // The common case (every one-row POST) without the run arithmetic.
      const row = this.rowValues(first)
      return [{ statement: cached(this.inserts, `${shapeOf(first)}#1`, () => this.insertSql(first, 1)), values: row.values, keys: [row.key] }]
    }
    const perRow = this.rowValues(first).values.length
    const bounded = Math.max(1, Math.min(MAX_ROWS_PER_INSERT, 2 ** Math.floor(Math.log2(MAX_PLACEHOLDERS / Math.max(perRow, 1)))))
    const statements: Array<BoundStatement & { keys: unknown[] }> = []
    for (let start = 0; start < rows.length; ) {
      const count = Math.min(bounded, 2 ** Math.floor(Math.log2(rows.length - start)))
      const chunk = rows.slice(start, start + count).map((values) => this.rowValues(values))
      const statement = cached(this.inserts, `${shapeOf(first)}#${count}`, () => this.insertSql(first, count))
      statements.push({ statement, values: chunk.flatMap((row) => row.values), keys: chunk.map((row) => row.key) })
      start += count
    }
    return statements
  }

  /** One row's bind values, in insertSql's column order, and its key when Lifeguard or the client chose it. */
  private rowValues(values: FieldValue[]): { values: unknown[]; key: unknown } {
    const { model } = this
    let key = values.find((each) => each.field.metadata === model.primary.metadata)?.value
    const bound = values.map((each) => each.value)
    // The extra values depend on the entity only (a generated key and a discriminator are never in a body).
    if (model.keyGeneration === 'uuid' && key === undefined) bound.push((key = randomUUID()))
    if (model.discriminator && !values.some((each) => each.field.metadata === model.discriminator!.field.metadata)) bound.push(model.discriminator.value)
    return { values: bound, key }
  }

  /**
   * UPDATE by key of the body's values, bumping the version; only rows with one of `versions`,
   * when given, and only the caller's own rows under an owner rule.
   */
  update(values: FieldValue[], id: unknown, versions: number[] | undefined, owner?: OwnerScope): BoundStatement {
    return this.updateByKeys(values, [id], versions, owner)
  }

  /** `update` for every row of `ids` (a bulk PATCH's rows, padded as list filters are: paddedValues). */
  updateByKeys(values: FieldValue[], ids: unknown[], versions: number[] | undefined, owner?: OwnerScope): BoundStatement {
    const { model } = this
    const shape = `${shapeOf(values)}|${versions?.length ?? '*'}|${owner ? 'owned' : ''}|${ids.length}`
    const statement = cached(this.updates, shape, () => {
      const assignments = values.map((each) => `${each.field.sqlColumn} = ?`)
      if (model.version) assignments.push(`${model.version.sqlColumn} = ${model.version.sqlColumn} + 1`)
      if (model.updateDate) assignments.push(`${model.updateDate.sqlColumn} = ${now(model.updateDate)}`)
      return `UPDATE ${model.sqlTable} SET ${assignments.join(', ')} WHERE ${this.keyed(versions, owner, ids.length)}`
    })
    return { statement, values: [...values.map((each) => each.value), ...this.keyValues(ids, versions, owner)] }
  }

  /** DELETE by key (a stamp, for an entity with a delete-date column); the same conditions as `update`. */
  remove(id: unknown, versions: number[] | undefined, owner?: OwnerScope): BoundStatement {
    return this.removeByKeys([id], versions, owner)
  }

  /** `remove` for every row of `ids`. */
  removeByKeys(ids: unknown[], versions: number[] | undefined, owner?: OwnerScope): BoundStatement {
    const { model } = this
    const statement = cached(this.deletes, `${versions?.length ?? '*'}|${owner ? 'owned' : ''}|${ids.length}`, () => {
      const where = this.keyed(versions, owner, ids.length)
      if (!model.deleteDate) return `DELETE FROM ${model.sqlTable} WHERE ${where}`
      // As TypeORM's softDelete: the stamp, a version bump and the update date.
      const stamps = [`${model.deleteDate.sqlColumn} = ${now(model.deleteDate)}`]
      if (model.version) stamps.push(`${model.version.sqlColumn} = ${model.version.sqlColumn} + 1`)
      if (model.updateDate) stamps.push(`${model.updateDate.sqlColumn} = ${now(model.updateDate)}`)
      return `UPDATE ${model.sqlTable} SET ${stamps.join(', ')} WHERE ${where}`
    })
    return { statement, values: this.keyValues(ids, versions, owner) }
  }

  /**
   * `INSERT … ON DUPLICATE KEY UPDATE` of one row (POST with `Prefer:
   * resolution=merge-duplicates`, upsert.ts): when a unique key already holds its values, that
   * row gets the body's updatable values, a bumped version, a fresh update date and, under a
   * soft delete, its stamp cleared (an upsert means "this row, live, with these values"). With
   * an auto-increment key, `key = LAST_INSERT_ID(key)` makes the driver's insertId the updated
   * row's key too. No RETURNING: the affected-row count is what tells created (1) from updated.
   */
  upsert(values: FieldValue[]): BoundStatement & { key: unknown } {
    const { model } = this
    const row = this.rowValues(values)
    const statement = cached(this.upserts, shapeOf(values), () => {
      const assignments = values
        .filter((each) => model.updatable.includes(each.field as RestField))
        .map((each) => `${each.field.sqlColumn} = VALUES(${each.field.sqlColumn})`)
      if (model.version) assignments.push(`${model.version.sqlColumn} = ${model.version.sqlColumn} + 1`)
      if (model.updateDate) assignments.push(`${model.updateDate.sqlColumn} = ${now(model.updateDate)}`)
      if (model.deleteDate) assignments.push(`${model.deleteDate.sqlColumn} = NULL`)
      const key = model.primary.sqlColumn
      assignments.push(model.keyGeneration === 'increment' ? `${key} = LAST_INSERT_ID(${key})` : `${key} = ${key}`)
      return this.insertSql(values, 1, ` ON DUPLICATE KEY UPDATE ${assignments.join(', ')}`)
    })
    return { statement, values: row.values, key: row.key }
  }

  /** Clears a soft delete's stamp (and bumps the version, stamps the update date: TypeORM's recover), by key, under the owner rule. */
  restore(id: unknown, owner?: OwnerScope): BoundStatement {
    const { model } = this
    const deleteDate = model.deleteDate!
    const statement = cached(this.deletes, `restore|${owner ? 'owned' : ''}`, () => {
      const stamps = [`${deleteDate.sqlColumn} = NULL`]
      if (model.version) stamps.push(`${model.version.sqlColumn} = ${model.version.sqlColumn} + 1`)
      if (model.updateDate) stamps.push(`${model.updateDate.sqlColumn} = ${now(model.updateDate)}`)
      const where = [model.scopeWithDeleted.sql, ownerCondition(model, owner !== undefined), `${model.primary.sqlColumn} = ?`, `${deleteDate.sqlColumn} IS NOT NULL`]
      return `UPDATE ${model.sqlTable} SET ${stamps.join(', ')} WHERE ${where.filter(Boolean).join(' AND ')}`
    })
    return { statement, values: [...model.scopeWithDeleted.values, ...(owner ? [owner.subject] : []), id] }
  }

  /** `tail` follows the VALUES: RETURNING when the server answers an INSERT with its rows, or an upsert's clause. */
  private insertSql(values: FieldValue[], rows: number, tail = this.returning ? ` RETURNING ${this.returning}` : ''): Statement {
    const { model } = this
    const columns = values.map((each) => each.field.sqlColumn)
    const placeholders = values.map(() => '?')
    const fixed = (field: RestField | undefined, sql: string) => {
      if (!field || values.some((each) => each.field.metadata === field.metadata)) return
      columns.push(field.sqlColumn)
      placeholders.push(sql)
    }
    fixed(model.keyGeneration === 'uuid' ? model.primary : undefined, '?')
    fixed(model.discriminator?.field, '?')
    fixed(model.version, '1')
    if (model.createDate) fixed(model.createDate, now(model.createDate))
    if (model.updateDate) fixed(model.updateDate, now(model.updateDate))
    const tuple = `(${placeholders.join(', ')})`
    return `INSERT INTO ${model.sqlTable} (${columns.join(', ')}) VALUES ${new Array(rows).fill(tuple).join(', ')}${tail}`
  }

  /** The rows' keys (`keys` of them), their scope, their owner under an owner rule, and what If-Match demands of their version. */
  private keyed(versions: number[] | undefined, owner: OwnerScope | undefined, keys: number): string {
    const { model } = this
    const key = keys === 1 ? `${model.primary.sqlColumn} = ?` : `${model.primary.sqlColumn} IN (${new Array(keys).fill('?').join(', ')})`
    const conditions = [model.scope.sql, ownerCondition(model, owner !== undefined), key]
    if (versions !== undefined) conditions.push(`${model.version!.sqlColumn} IN (${versions.map(() => '?').join(', ')})`)
    return conditions.filter(Boolean).join(' AND ')
  }

  /** Bind values of `keyed`, in its `?` order. */
  private keyValues(ids: unknown[], versions: number[] | undefined, owner: OwnerScope | undefined): unknown[] {
    return [...this.model.scope.values, ...(owner ? [owner.subject] : []), ...ids, ...(versions ?? [])]
  }
}

/** The server's clock at the column's precision: TypeORM's bare CURRENT_TIMESTAMP would drop fractions. */
function now(field: RestField): string {
  const precision = Number(field.metadata.precision ?? 0)
  return precision > 0 ? `CURRENT_TIMESTAMP(${precision})` : 'CURRENT_TIMESTAMP'
}

function shapeOf(values: FieldValue[]): string {
  return values.map((each) => each.field.name).join(',')
}

function cached<K>(cache: Map<K, Statement>, key: K, build: () => Statement): Statement {
  let statement = cache.get(key)
  if (statement === undefined) {
    if (cache.size >= MAX_CACHED_SHAPES) cache.clear()
    statement = build()
    cache.set(key, statement)
  }
  return statement
}
