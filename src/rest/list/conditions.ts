import { quoteIdentifier } from '../naming'
import type { RestRelation } from '../relations'
import type { ResourceModel, RestField, RowScope } from '../resource-model'
import { conditionsOf, type Condition, type ListRequest } from './parse'
import { LITERAL_ESCAPE } from './filter-values'
import { relevanceOf } from './search'

/*
 * The WHERE of a list: each condition on its column — the entity's own, a to-one relation's
 * through its join (`lg_author`.`name`), or a to-many relation's as `EXISTS (...)` over the
 * related rows — with every value a `?`, bound in the order `filterValues` lists them.
 */

/**
 * `in`/`nin` lists are padded to the next power of two (by repeating their last value, which
 * changes nothing), so lists of 1..100 values make 8 statements per shape instead of 100:
 * each distinct statement is prepared on the server, and their number is bounded there.
 */
export function paddedLength(length: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, length)))
}

/** The values of such a list, padded to `paddedLength` by repeating the last one. */
export function paddedValues(values: readonly unknown[]): unknown[] {
  const padded = [...values]
  while (padded.length < paddedLength(values.length)) padded.push(values[values.length - 1])
  return padded
}

/**
 * The related rows the caller may see, on the related table under `alias`: the related
 * entity's scope and, when its owner rule restricts the caller, the owner (one `?`). Bound by
 * `visibleValues`. Every read through a relation (join, EXISTS, embed statement) applies it.
 */
export function visibleOn(relation: RestRelation, alias: string, owned: boolean): string[] {
  const { target } = relation
  const conditions = [target.scope.on(alias)]
  if (owned) conditions.push(`${alias}.${target.access.owner!.sqlColumn} = ?`)
  return conditions.filter(Boolean)
}

/** The bind values of `visibleOn`, in order. */
export function visibleValues(request: ListRequest, relation: RestRelation): unknown[] {
  const owner = request.owners.get(relation)
  return owner ? [...relation.target.scope.values, owner.subject] : relation.target.scope.values
}

/** The alias a to-one relation is joined under (its own name, so one join serves embed, filters and sort). */
export const joinAlias = (relation: RestRelation) => quoteIdentifier(`lg_${relation.name}`)

/** Related rows whose key matches the parent row: the core of a to-many condition's EXISTS. */
function relatedRows(model: ResourceModel, relation: RestRelation, alias: string, owned: boolean): string {
  const where = [`${alias}.${relation.targetColumn} = ${model.sqlTable}.${relation.parentColumn}`, ...visibleOn(relation, alias, owned)]
  return `SELECT 1 FROM ${relation.target.sqlTable} AS ${alias} WHERE ${where.join(' AND ')}`
}

/**
 * The SQL of every condition of the request, ANDed (the `where.or` groups as one OR), with the
 * entity's scope first. `owned` tells which relations the caller's owner rule restricts.
 */
export function whereSqlOf(model: ResourceModel, request: ListRequest, owned: (relation: RestRelation) => boolean): string {
  let exists = 0
  const sqlOf = (condition: Condition) => {
    const { relation, field } = condition
    let sql: string
    if (relation?.kind === 'to-many') {
      const alias = quoteIdentifier(`lg_exists${exists++}`)
      sql = `EXISTS (${relatedRows(model, relation, alias, owned(relation))} AND ${comparisonOf(condition, `${alias}.${field.sqlColumn}`)})`
    } else {
      sql = comparisonOf(condition, `${relation ? joinAlias(relation) : model.sqlTable}.${field.sqlColumn}`)
    }
    // NOT (...) keeps SQL's NULL semantics: NOT of unknown is unknown.
    return condition.negated ? `NOT (${sql})` : sql
  }
  const conditions = [rowScopeOf(model, request).sql, ...request.where.map(sqlOf)]
  if (request.groups.length > 0) conditions.push(`(${request.groups.map((group) => `(${group.map(sqlOf).join(' AND ')})`).join(' OR ')})`)
  if (request.search !== undefined) conditions.push(relevanceOf(model))
  return conditions.filter(Boolean).join(' AND ')
}

function comparisonOf(filter: Condition, column: string): string {
  const value = placeholderOf(filter.field)
  switch (filter.op) {
    case 'eq':
      return `${column} = ${value}`
    case 'neq':
      return `${column} <> ${value}`
    case 'gt':
      return `${column} > ${value}`
    case 'gte':
      return `${column} >= ${value}`
    case 'lt':
      return `${column} < ${value}`
    case 'lte':
      return `${column} <= ${value}`
    case 'like':
      return `${column} LIKE ?`
    case 'notLike':
      return `${column} NOT LIKE ?`
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return `${column} LIKE ? ESCAPE '${LITERAL_ESCAPE}'`
    case 'between':
      return `${column} BETWEEN ${value} AND ${value}`
    case 'in':
    case 'nin':
      return `${column} ${filter.op === 'in' ? 'IN' : 'NOT IN'} (${new Array(paddedLength((filter.value as unknown[]).length)).fill(value).join(', ')})`
    case 'isNull':
      return filter.value ? `${column} IS NULL` : `${column} IS NOT NULL`
  }
}

/** A bound value where the column is compared with it (a DECIMAL needs a cast to compare exactly). */
export function placeholderOf(field: RestField): string {
  return field.codec.placeholder ?? '?'
}

/** The rows a request may see of its own entity: the scope, or with `withDeleted=true` the scope without the soft-delete condition. */
function rowScopeOf(model: ResourceModel, request: ListRequest): RowScope {
  return request.withDeleted ? model.scopeWithDeleted : model.scope
}

/** Bind values of the entity's row scope and the filters, in the order their `?` appear in `whereSqlOf`'s SQL. */
export function filterValues(model: ResourceModel, request: ListRequest): unknown[] {
  const values: unknown[] = [...rowScopeOf(model, request).values]
  for (const filter of conditionsOf(request)) {
    if (filter.relation?.kind === 'to-many') values.push(...visibleValues(request, filter.relation))
    if (filter.op === 'isNull') continue
    // An in/nin list is padded as its SQL is (a between pair, two values, stays two).
    if (!Array.isArray(filter.value)) values.push(filter.value)
    else values.push(...paddedValues(filter.value))
  }
  if (request.search !== undefined) values.push(request.search)
  return values
}
