import { quoteIdentifier } from '../naming'
import { selectedAs } from '../select-list'
import { sortSignature, type KeyColumn } from './cursor'
import { conditionsOf, ownRelationsOf, type Condition, type Embed, type ListRequest } from './parse'
import { joinAlias, paddedLength, visibleOn, visibleValues, whereSqlOf } from './conditions'
import { RELEVANCE, relevanceOf } from './search'
import { embedKey } from './embed'
import type { RestRelation } from '../relations'
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
  /** The primary keys of every row the filters select, in key order, locked until the transaction ends (a bulk write's rows). */
  keysSql: string
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
  /** How many times the SELECT list binds the `search=` words (a relevance sort key), before any other value. */
  selectSearchBinds: number
  /** To-one relations joined into the page's SELECT, and into the count, in the order of their bind values. */
  joins: RestRelation[]
  countJoins: RestRelation[]
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
  for (const term of request.sort) shape += `${nameOf(term)}${term.descending ? '-' : '+'};`
  if (request.version) shape += '|v'
  if (request.search !== undefined) shape += '|search'
  if (request.withDeleted) shape += '|deleted'
  for (const embed of request.embeds) {
    shape += `|${embed.relation.name}:${embed.fields ? embed.fields.map((field) => field.name).join(',') : '*'}>${embed.children.map((child) => child.relation.name).join(',')}`
  }
  for (const relation of request.owners.keys()) shape += `|@${relation.name}`
  return shape
}

/** A field as the grammar names it: `title`, or `author.name` through a relation. */
function nameOf(term: { field: RestField; relation?: RestRelation }): string {
  return term.relation ? `${term.relation.name}.${term.field.name}` : term.field.name
}

function conditionsShape(conditions: Condition[]): string {
  let shape = ''
  for (const condition of conditions) {
    shape += `${condition.negated ? '!' : ''}${nameOf(condition)}.${condition.op}`
    if (Array.isArray(condition.value)) shape += `#${paddedLength(condition.value.length)}`
    else if (condition.op === 'isNull') shape += condition.value ? '+' : '-'
    shape += ';'
  }
  return shape
}

function buildPlan(model: ResourceModel, request: ListRequest): ListPlan {
  const table = model.sqlTable
  const selected = request.fields ?? model.readable
  const keys = keyColumnsOf(model, request, new Set(selected))
  const columns = selected.map((field) => selectedAs(field, field.name, `${table}.${field.sqlColumn}`))
  for (const key of keys) {
    if (key.rowKey !== key.field.name) columns.push(selectedAs(key.field, key.rowKey, key.column))
  }
  if (request.version && model.version) columns.push(`${table}.${model.version.sqlColumn} AS ${quoteIdentifier(HIDDEN_VERSION_KEY)}`)
  const embedded = embeddedColumns(request.embeds, columns)
  for (const embed of request.embeds) {
    const { relation } = embed
    if (relation.kind === 'to-many') columns.push(`${table}.${relation.parentColumn} AS ${quoteIdentifier(embedKey(relation.name))}`)
    // A joined embed's own embeds are read after the page, by the keys its joined row holds.
    for (const child of relation.kind === 'to-one' ? embed.children : []) {
      columns.push(`${joinAlias(relation)}.${child.relation.parentColumn} AS ${quoteIdentifier(embedKey(`${relation.name}.${child.relation.name}`))}`)
    }
  }
  const owned = (relation: RestRelation) => request.owners.has(relation)
  const whereSql = whereSqlOf(model, request, owned)
  const where = whereSql ? ` WHERE ${whereSql}` : ''
  const orderSql = keys.map((key) => `${key.orderBy} ${key.descending ? 'DESC' : 'ASC'}`).join(', ')
  const joins = toOneJoins(request)
  const filterJoins = joins.filter((relation) => conditionsOf(request).some((condition) => condition.relation === relation))
  const selectFrom = `SELECT ${columns.join(', ')} FROM ${table}${joinSql(model, joins, owned)}`
  return {
    sql: `${selectFrom}${where} ORDER BY ${orderSql} LIMIT ? OFFSET ?`,
    fields: selected,
    // The count joins only what its filters need: a LEFT JOIN on a key neither adds nor removes rows.
    countSql: `SELECT COUNT(*) AS ${quoteIdentifier('total')} FROM ${table}${joinSql(model, filterJoins, owned)}${where}`,
    keysSql: `SELECT ${table}.${model.primary.sqlColumn} AS ${quoteIdentifier('key')} FROM ${table}${joinSql(model, filterJoins, owned)}${where} ORDER BY ${table}.${model.primary.sqlColumn} FOR UPDATE`,
    joins,
    countJoins: filterJoins,
    selectSearchBinds: keys.filter((key) => key.searchBound).length,
    keys,
    signature: sortSignature(keys),
    mapRows: withEmbedsMapped(rowMapperOf([...selected, ...embedded.fields]), embedded.presence),
    afterCursor: new Map(),
    selectFrom,
    whereSql,
    orderSql
  }
}

/**
 * The entity's own to-one relations the request reads through (embedded, filtered, sorted),
 * each joined once. (A to-one relation further down an include path is read with its parents: embed.ts.)
 */
function toOneJoins(request: ListRequest): RestRelation[] {
  return [...ownRelationsOf(request)].filter((relation) => relation.kind === 'to-one')
}

/**
 * `LEFT JOIN authors AS lg_author ON ...` for each relation, with the related entity's scope
 * and, when the caller's owner rule restricts it, the owner in the ON: a related row the
 * caller may not see is as if missing (an embed is null, a filter on it does not match).
 */
function joinSql(model: ResourceModel, relations: readonly RestRelation[], owned: (relation: RestRelation) => boolean): string {
  let sql = ''
  for (const relation of relations) {
    const alias = joinAlias(relation)
    const on = [`${alias}.${relation.targetColumn} = ${model.sqlTable}.${relation.parentColumn}`, ...visibleOn(relation, alias, owned(relation))]
    sql += ` LEFT JOIN ${relation.target.sqlTable} AS ${alias} ON ${on.join(' AND ')}`
  }
  return sql
}

/** Bind values of joins, in the order their `?` appear (before the WHERE's). */
export function joinValues(request: ListRequest, relations: readonly RestRelation[]): unknown[] {
  return relations.flatMap((relation) => visibleValues(request, relation))
}

/**
 * The columns of every to-one embed, selected from its join as `author.<field>` so the row
 * mapper nests them; and for an embed that may be missing, or that shows none of its own
 * fields (`fields=id,book.author.name`), its key, to tell null from an object.
 */
function embeddedColumns(embeds: readonly Embed[], columns: string[]): { fields: RestField[]; presence: Map<string, string> } {
  const fields: RestField[] = []
  const presence = new Map<string, string>()
  for (const embed of embeds) {
    const { relation } = embed
    if (relation.kind !== 'to-one') continue
    const alias = joinAlias(relation)
    const shown = embed.fields ?? relation.target.readable
    for (const field of shown) {
      const name = `${relation.name}.${field.name}`
      columns.push(selectedAs(field, name, `${alias}.${field.sqlColumn}`))
      fields.push({ ...field, name })
    }
    if (relation.optional || shown.length === 0) {
      presence.set(relation.name, `_has_${relation.name}`)
      columns.push(`${alias}.${relation.target.primary.sqlColumn} AS ${quoteIdentifier(`_has_${relation.name}`)}`)
    }
  }
  return { fields, presence }
}

/**
 * After mapping, a to-one embed whose joined row is missing (its key is NULL) is null, not an
 * object of nulls; one that is there but shows no field of its own is an object all the same.
 */
function withEmbedsMapped(mapRows: RowMapper, presence: Map<string, string>): RowMapper {
  if (presence.size === 0) return mapRows
  return (rows) => {
    mapRows(rows)
    for (const row of rows) {
      const record = row as Record<string, unknown>
      for (const [name, key] of presence) record[name] = record[key] === null ? null : (record[name] ?? {})
    }
    return rows
  }
}

/**
 * The ORDER BY keys: the requested sort (a to-one relation's field through its join), then the
 * primary key so every row has one place. A key read from a join can be NULL (no related row)
 * whatever its column says, and is read under a key of its own.
 */
function keyColumnsOf(model: ResourceModel, request: ListRequest, selected: Set<RestField>): KeyColumn[] {
  const terms = [...request.sort]
  if (!terms.some((term) => term.field === model.primary && !term.relation)) terms.push({ field: model.primary, descending: false })
  return terms.map((term, index) => {
    const rowKey = !term.relation && selected.has(term.field) ? term.field.name : `_key${index}`
    if (term.field === RELEVANCE) {
      // Computed: selected under its key, ordered by that alias, compared (after a cursor) as the expression itself.
      return { field: term.field, name: 'relevance', column: relevanceOf(model), orderBy: quoteIdentifier(rowKey), descending: term.descending, nullable: false, searchBound: true, rowKey }
    }
    const column = `${term.relation ? joinAlias(term.relation) : model.sqlTable}.${term.field.sqlColumn}`
    return {
      field: term.field,
      relation: term.relation,
      name: nameOf(term),
      column,
      orderBy: column,
      descending: term.descending,
      nullable: term.field.nullable || (term.relation?.optional ?? false),
      rowKey
    }
  })
}
