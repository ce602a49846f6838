import { quoteIdentifier } from './naming'
import { selectedAs } from './select-list'
import { sortSignature, type KeyColumn } from './cursor'
import { LITERAL_ESCAPE, type FilterTerm, type ListRequest } from './list-grammar'
import type { ResourceModel, RestField } from './resource-model'
import { rowMapperOf, type RowMapper } from './row-mapper'

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
  shape += '|'
  for (const filter of request.filters) {
    shape += `${filter.field.name}.${filter.op}`
    if (Array.isArray(filter.value)) shape += `#${paddedLength(filter.value.length)}`
    else if (filter.op === 'isNull') shape += filter.value ? '+' : '-'
    shape += ';'
  }
  shape += '|'
  for (const term of request.sort) shape += `${term.field.name}${term.descending ? '-' : '+'};`
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
  const conditions = [model.scope.sql, ...request.filters.map(conditionOf)].filter(Boolean)
  const whereSql = conditions.join(' AND ')
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

function conditionOf(filter: FilterTerm): string {
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
function placeholderOf(field: RestField): string {
  return field.codec.placeholder ?? '?'
}

/** Bind values of the entity's row scope and the filters, in the order their `?` appear. */
export function filterValues(model: ResourceModel, request: ListRequest): unknown[] {
  const values: unknown[] = [...model.scope.values]
  for (const filter of request.filters) {
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

/**
 * SQL and extra bind values for the page after a cursor: rows strictly after the cursor in
 * ORDER BY order. Expanded as (k1 after v1) OR (k1 = v1 AND k2 after v2) OR ..., with MySQL's
 * NULL ordering (NULLs first ascending, last descending) so nullable sort fields page too.
 */
export function afterCursorQuery(plan: ListPlan, cursorValues: unknown[]): { sql: string; values: unknown[] } {
  const nullMask = cursorValues.map((value) => (value === null ? '0' : '1')).join('')
  let sql = plan.afterCursor.get(nullMask)
  if (sql === undefined) {
    const keyset = keysetCondition(plan.keys, cursorValues)
    const where = [plan.whereSql, keyset].filter(Boolean).map((part) => `(${part})`).join(' AND ')
    sql = `${plan.selectFrom} WHERE ${where} ORDER BY ${plan.orderSql} LIMIT ? OFFSET ?`
    plan.afterCursor.set(nullMask, sql)
  }
  const values: unknown[] = []
  for (let i = 0; i < plan.keys.length; i++) {
    if (cannotFollow(plan.keys[i], cursorValues[i])) continue
    for (let j = 0; j < i; j++) if (cursorValues[j] !== null) values.push(cursorValues[j])
    if (cursorValues[i] !== null) values.push(cursorValues[i])
  }
  return { sql, values }
}

/** Nothing sorts after NULL in descending order (MySQL puts NULLs last there). */
function cannotFollow(key: KeyColumn, value: unknown): boolean {
  return value === null && key.descending
}

function keysetCondition(keys: KeyColumn[], cursorValues: unknown[]): string {
  const disjuncts: string[] = []
  for (let i = 0; i < keys.length; i++) {
    const after = afterCondition(keys[i], cursorValues[i])
    if (after === undefined) continue
    const equalities = keys.slice(0, i).map((key, j) => (cursorValues[j] === null ? `${key.field.sqlColumn} IS NULL` : `${key.field.sqlColumn} = ${placeholderOf(key.field)}`))
    disjuncts.push([...equalities, after].join(' AND '))
  }
  return disjuncts.length ? disjuncts.map((part) => `(${part})`).join(' OR ') : '1 = 0'
}

/** "Comes after v in this key's direction"; undefined when nothing can come after (NULL, descending). */
function afterCondition(key: KeyColumn, value: unknown): string | undefined {
  const column = key.field.sqlColumn
  if (cannotFollow(key, value)) return undefined
  if (value === null) return `${column} IS NOT NULL`
  const bound = placeholderOf(key.field)
  if (!key.descending) return `${column} > ${bound}`
  return key.field.nullable ? `(${column} < ${bound} OR ${column} IS NULL)` : `${column} < ${bound}`
}
