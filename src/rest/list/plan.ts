import { quoteIdentifier } from '../naming'
import { selectedAs } from '../select-list'
import { sortSignature, type KeyColumn } from './cursor'
import { conditionsOf, LITERAL_ESCAPE, type Condition, type ListRequest } from './parse'
import type { ResourceModel, RestField } from '../resource-model'
import { rowMapperOf, type RowMapper } from '../row-mapper'

/**
 * List SQL, built once per distinct list shape (which fields, which filters with which ops,
 * which sort) and cached per entity; a request then only collects its bind values.
 * Identifiers come from metadata; every value is a `?`.
 */
export interface ListPlan {
  /** SELECT for a first page (no cursor): `... LIMIT ? OFFSET ?`. */
  sql: string
  /** The fields each row answers. */
  fields: readonly RestField[]
  countSql: string
  /** Sort keys plus the primary key as tie-breaker, in ORDER BY order. */
  keys: KeyColumn[]
  signature: string
  mapRows: RowMapper
  /** SELECT for a page after a cursor, keyed by which cursor values are NULL (filled on demand). */
  afterCursor: Map<string, string>
  /** The pieces the after-cursor SELECTs are assembled from. */
  selectFrom: string
  /** The filters' conditions joined with AND; empty without filters. */
  whereSql: string
  orderSql: string
}

/** Distinct list shapes kept per entity; past this the cache starts over (shapes are few in practice). */
const MAX_CACHED_SHAPES = 500

export class ListPlanner {
  private readonly plans = new Map<string, ListPlan>()

  constructor(private readonly model: ResourceModel) {}

  planFor(request: ListRequest): ListPlan {
    const shape = shapeOf(request)
    let plan = this.plans.get(shape)
    if (plan === undefined) {
      if (this.plans.size >= MAX_CACHED_SHAPES) this.plans.clear()
      plan = buildPlan(this.model, request)
      this.plans.set(shape, plan)
    }
    return plan
  }
}

function shapeOf(request: ListRequest): string {
  let shape = request.fields ? request.fields.map((field) => field.name).join(',') : '*'
  shape += '|' + conditionsShape(request.where)
  for (const group of request.groups) shape += '|or:' + conditionsShape(group)
  shape += '|'
  for (const term of request.sort) shape += `${term.field.name}${term.descending ? '-' : '+'};`
  return shape
}

function conditionsShape(conditions: Condition[]): string {
  let shape = ''
  for (const condition of conditions) {
    shape += `${condition.negated ? '!' : ''}${condition.field.name}.${condition.op}`
    if (Array.isArray(condition.value)) shape += `#${paddedLength(condition.value.length)}`
    else if (condition.op === 'isNull') shape += condition.value ? '+' : '-'
    shape += ';'
  }
  return shape
}

/**
 * `in`/`nin` lists are padded to the next power of two (by repeating their last value, which
 * changes nothing), so lists of 1..100 values make 8 statements per shape instead of 100:
 * each distinct statement is prepared on the server, and their number is bounded there.
 */
function paddedLength(length: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, length)))
}

function buildPlan(model: ResourceModel, request: ListRequest): ListPlan {
  const selected = request.fields ?? model.readable
  const keys = keyColumnsOf(model, request, new Set(selected))
  const columns = selected.map((field) => selectedAs(field, field.name))
  for (const key of keys) {
    if (!selected.includes(key.field)) columns.push(selectedAs(key.field, key.rowKey))
  }
  const conditions = [model.scope.sql, ...request.where.map(conditionOf)]
  if (request.groups.length > 0) conditions.push(`(${request.groups.map((group) => `(${group.map(conditionOf).join(' AND ')})`).join(' OR ')})`)
  const whereSql = conditions.filter(Boolean).join(' AND ')
  const orderSql = keys.map((key) => `${key.field.sqlColumn} ${key.descending ? 'DESC' : 'ASC'}`).join(', ')
  const selectFrom = `SELECT ${columns.join(', ')} FROM ${model.sqlTable}`
  const sql = `${selectFrom}${whereSql ? ` WHERE ${whereSql}` : ''} ORDER BY ${orderSql} LIMIT ? OFFSET ?`
  return {
    sql,
    fields: selected,
    countSql: `SELECT COUNT(*) AS ${quoteIdentifier('total')} FROM ${model.sqlTable}${whereSql ? ` WHERE ${whereSql}` : ''}`,
    keys,
    signature: sortSignature(keys),
    mapRows: rowMapperOf(selected),
    afterCursor: new Map(),
    selectFrom,
    whereSql,
    orderSql
  }
}

/** The ORDER BY keys: the requested sort, then the primary key so every row has one place. */
function keyColumnsOf(model: ResourceModel, request: ListRequest, selected: Set<RestField>): KeyColumn[] {
  const terms = [...request.sort]
  if (!terms.some((term) => term.field === model.primary)) terms.push({ field: model.primary, descending: false })
  return terms.map((term, index) => ({
    field: term.field,
    descending: term.descending,
    rowKey: selected.has(term.field) ? term.field.name : `_key${index}`
  }))
}

/** One condition's SQL; a negated one is `NOT (...)`, which keeps SQL's NULL semantics (NOT of unknown is unknown). */
function conditionOf(condition: Condition): string {
  const sql = comparisonOf(condition)
  return condition.negated ? `NOT (${sql})` : sql
}

function comparisonOf(filter: Condition): string {
  const column = filter.field.sqlColumn
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

/** Bind values of the entity's row scope and the filters, in the order their `?` appear. */
export function filterValues(model: ResourceModel, request: ListRequest): unknown[] {
  const values: unknown[] = [...model.scope.values]
  for (const filter of conditionsOf(request)) {
    if (filter.op === 'isNull') continue
    if (!Array.isArray(filter.value)) {
      values.push(filter.value)
      continue
    }
    values.push(...filter.value)
    for (let i = filter.value.length; i < paddedLength(filter.value.length); i++) values.push(filter.value[filter.value.length - 1])
  }
  return values
}
