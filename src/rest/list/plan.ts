import { quoteIdentifier } from '../naming'
import { selectedAs } from '../select-list'
import { sortSignature, type KeyColumn } from './cursor'
import { conditionsOf, LITERAL_ESCAPE, type Condition, type Embed, type ListRequest } from './parse'
import type { ResourceModel, RestField } from '../resource-model'
import { rowMapperOf, type RowMapper } from '../row-mapper'
import { HIDDEN_VERSION_KEY } from '../resource-reader'

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

/** Row property carrying the parent's key of a to-many embed (`_inc_books`), whether or not a selected field holds it. */
export const embedKey = (embed: Embed) => `_inc_${embed.relation.name}`

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
  if (request.version) shape += '|v'
  for (const embed of request.embeds) {
    shape += `|${embed.relation.name}${embed.owner ? '@' : ''}:${embed.fields ? embed.fields.map((field) => field.name).join(',') : '*'}`
  }
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
export function paddedLength(length: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, length)))
}

function buildPlan(model: ResourceModel, request: ListRequest): ListPlan {
  const table = model.sqlTable
  const selected = request.fields ?? model.readable
  const keys = keyColumnsOf(model, request, new Set(selected))
  const columns = selected.map((field) => selectedAs(field, field.name, `${table}.${field.sqlColumn}`))
  for (const key of keys) {
    if (!selected.includes(key.field)) columns.push(selectedAs(key.field, key.rowKey, key.column))
  }
  if (request.version && model.version) columns.push(`${table}.${model.version.sqlColumn} AS ${quoteIdentifier(HIDDEN_VERSION_KEY)}`)
  const joined = toOneJoins(model, request.embeds, columns)
  for (const embed of request.embeds) {
    if (embed.relation.kind === 'to-many') columns.push(`${table}.${embed.relation.parentColumn} AS ${quoteIdentifier(embedKey(embed))}`)
  }
  const condition = (each: Condition) => conditionOf(each, `${table}.${each.field.sqlColumn}`)
  const conditions = [model.scope.sql, ...request.where.map(condition)]
  if (request.groups.length > 0) conditions.push(`(${request.groups.map((group) => `(${group.map(condition).join(' AND ')})`).join(' OR ')})`)
  const whereSql = conditions.filter(Boolean).join(' AND ')
  const orderSql = keys.map((key) => `${key.column} ${key.descending ? 'DESC' : 'ASC'}`).join(', ')
  const selectFrom = `SELECT ${columns.join(', ')} FROM ${table}${joined.sql}`
  const sql = `${selectFrom}${whereSql ? ` WHERE ${whereSql}` : ''} ORDER BY ${orderSql} LIMIT ? OFFSET ?`
  return {
    sql,
    fields: selected,
    // The count needs no join: a LEFT JOIN on a key neither adds nor removes rows.
    countSql: `SELECT COUNT(*) AS ${quoteIdentifier('total')} FROM ${table}${whereSql ? ` WHERE ${whereSql}` : ''}`,
    keys,
    signature: sortSignature(keys),
    mapRows: withEmbedsMapped(rowMapperOf([...selected, ...joined.fields]), joined.optional),
    afterCursor: new Map(),
    selectFrom,
    whereSql,
    orderSql
  }
}

/**
 * Every to-one embed joined into the page's own statement (`LEFT JOIN authors AS lg_author
 * ON ...`, the related entity's scope and owner rule in the ON, so a row it may not see
 * embeds as null), its fields selected as `author.<field>` so the row mapper nests them.
 */
function toOneJoins(model: ResourceModel, embeds: readonly Embed[], columns: string[]): { sql: string; fields: RestField[]; optional: Map<string, string> } {
  let sql = ''
  const fields: RestField[] = []
  const optional = new Map<string, string>()
  for (const embed of embeds) {
    const { relation } = embed
    if (relation.kind !== 'to-one') continue
    const { target } = relation
    const alias = quoteIdentifier(`lg_${relation.name}`)
    for (const field of embed.fields ?? target.readable) {
      const name = `${relation.name}.${field.name}`
      columns.push(selectedAs(field, name, `${alias}.${field.sqlColumn}`))
      fields.push({ ...field, name })
    }
    if (relation.optional) {
      optional.set(relation.name, `_has_${relation.name}`)
      columns.push(`${alias}.${target.primary.sqlColumn} AS ${quoteIdentifier(`_has_${relation.name}`)}`)
    }
    const on = [`${alias}.${relation.targetColumn} = ${model.sqlTable}.${relation.parentColumn}`, target.scope.on(alias)]
    if (embed.owner) on.push(`${alias}.${embed.owner.field.sqlColumn} = ?`)
    sql += ` LEFT JOIN ${target.sqlTable} AS ${alias} ON ${on.filter(Boolean).join(' AND ')}`
  }
  return { sql, fields, optional }
}

/** After mapping, a to-one embed whose joined row is missing (its key is NULL) is null, not an object of nulls. */
function withEmbedsMapped(mapRows: RowMapper, optional: Map<string, string>): RowMapper {
  if (optional.size === 0) return mapRows
  return (rows) => {
    mapRows(rows)
    for (const row of rows) {
      const record = row as Record<string, unknown>
      for (const [name, presence] of optional) if (record[presence] === null) record[name] = null
    }
    return rows
  }
}

/** Bind values of the to-one joins, in the order their `?` appear (before the WHERE's). */
export function joinValues(request: ListRequest): unknown[] {
  const values: unknown[] = []
  for (const embed of request.embeds) {
    if (embed.relation.kind !== 'to-one') continue
    values.push(...embed.relation.target.scope.values)
    if (embed.owner) values.push(embed.owner.subject)
  }
  return values
}

/** The ORDER BY keys: the requested sort, then the primary key so every row has one place. */
function keyColumnsOf(model: ResourceModel, request: ListRequest, selected: Set<RestField>): KeyColumn[] {
  const terms = [...request.sort]
  if (!terms.some((term) => term.field === model.primary)) terms.push({ field: model.primary, descending: false })
  return terms.map((term, index) => ({
    field: term.field,
    column: `${model.sqlTable}.${term.field.sqlColumn}`,
    descending: term.descending,
    rowKey: selected.has(term.field) ? term.field.name : `_key${index}`
  }))
}

/** One condition's SQL on `column`; a negated one is `NOT (...)`, which keeps SQL's NULL semantics (NOT of unknown is unknown). */
function conditionOf(condition: Condition, column: string): string {
  const sql = comparisonOf(condition, column)
  return condition.negated ? `NOT (${sql})` : sql
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
