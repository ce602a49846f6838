import { randomUUID } from 'node:crypto'
import type { Statement } from '../db/pooled-query'
import type { FieldValue } from './body-values'
import type { ResourceModel, RestField } from './resource-model'
import { ownerCondition, type OwnerScope } from './access'

/** Distinct write shapes (sets of fields) kept per entity; past this a cache starts over. */
const MAX_CACHED_SHAPES = 200
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
  private readonly updates = new Map<string, Statement>()
  private readonly deletes = new Map<string, Statement>()

  constructor(
    private readonly model: ResourceModel,
    /** `col AS name, ...` for INSERT ... RETURNING, when the server answers an INSERT with its row. */
    private readonly returning: string | undefined
  ) {}

  /** INSERT of the body's values; `key` is the new row's key when Lifeguard or the client chose it. */
  insert(values: FieldValue[]): BoundStatement & { key: unknown } {
    const { model } = this
    const bound = values.map((each) => each.value)
    let key = values.find((each) => each.field.metadata === model.primary.metadata)?.value
    const extra: unknown[] = []
    if (model.keyGeneration === 'uuid' && key === undefined) extra.push((key = randomUUID()))
    if (model.discriminator && !values.some((each) => each.field.metadata === model.discriminator!.field.metadata)) extra.push(model.discriminator.value)
    // The extra values depend on the entity only (a generated key and a discriminator are never in a body).
    const statement = cached(this.inserts, shapeOf(values), () => this.insertSql(values))
    return { statement, values: [...bound, ...extra], key }
  }

  /**
   * UPDATE by key of the body's values, bumping the version; only rows with one of `versions`,
   * when given, and only the caller's own rows under an owner rule.
   */
  update(values: FieldValue[], id: unknown, versions: number[] | undefined, owner?: OwnerScope): BoundStatement {
    const { model } = this
    const shape = `${shapeOf(values)}|${versions?.length ?? '*'}|${owner ? 'owned' : ''}`
    const statement = cached(this.updates, shape, () => {
      const assignments = values.map((each) => `${each.field.sqlColumn} = ?`)
      if (model.version) assignments.push(`${model.version.sqlColumn} = ${model.version.sqlColumn} + 1`)
      if (model.updateDate) assignments.push(`${model.updateDate.sqlColumn} = ${now(model.updateDate)}`)
      return `UPDATE ${model.sqlTable} SET ${assignments.join(', ')} WHERE ${this.keyed(versions, owner)}`
    })
    return { statement, values: [...values.map((each) => each.value), ...this.keyValues(id, versions, owner)] }
  }

  /** DELETE by key (a stamp, for an entity with a delete-date column); the same conditions as `update`. */
  remove(id: unknown, versions: number[] | undefined, owner?: OwnerScope): BoundStatement {
    const { model } = this
    const statement = cached(this.deletes, `${versions?.length ?? '*'}|${owner ? 'owned' : ''}`, () => {
      if (!model.deleteDate) return `DELETE FROM ${model.sqlTable} WHERE ${this.keyed(versions, owner)}`
      // As TypeORM's softDelete: the stamp, a version bump and the update date.
      const stamps = [`${model.deleteDate.sqlColumn} = ${now(model.deleteDate)}`]
      if (model.version) stamps.push(`${model.version.sqlColumn} = ${model.version.sqlColumn} + 1`)
      if (model.updateDate) stamps.push(`${model.updateDate.sqlColumn} = ${now(model.updateDate)}`)
      return `UPDATE ${model.sqlTable} SET ${stamps.join(', ')} WHERE ${this.keyed(versions, owner)}`
    })
    return { statement, values: this.keyValues(id, versions, owner) }
  }

  private insertSql(values: FieldValue[]): Statement {
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
    const returning = this.returning ? ` RETURNING ${this.returning}` : ''
    return `INSERT INTO ${model.sqlTable} (${columns.join(', ')}) VALUES (${placeholders.join(', ')})${returning}`
  }

  /** The row's key, its scope, its owner under an owner rule, and what If-Match demands of its version. */
  private keyed(versions: number[] | undefined, owner: OwnerScope | undefined): string {
    const { model } = this
    const conditions = [model.scope.sql, ownerCondition(model, owner !== undefined), `${model.primary.sqlColumn} = ?`]
    if (versions !== undefined) conditions.push(`${model.version!.sqlColumn} IN (${versions.map(() => '?').join(', ')})`)
    return conditions.filter(Boolean).join(' AND ')
  }

  /** Bind values of `keyed`, in its `?` order. */
  private keyValues(id: unknown, versions: number[] | undefined, owner: OwnerScope | undefined): unknown[] {
    return [...this.model.scope.values, ...(owner ? [owner.subject] : []), id, ...(versions ?? [])]
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
