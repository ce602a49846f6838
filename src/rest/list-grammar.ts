import { bindValueOf, parseListItem, type FilterOp } from './column-kinds'
import { DEFAULT_LIST_LIMIT } from './json-schemas'
import { invalidQuery as invalid } from './query-errors'
import type { ResourceModel, RestField } from './resource-model'

/**
 * The list query-string grammar (DESIGN.md "REST contract") turned into a typed request.
 * ajv has already rejected unknown keys and typed scalar values against the schema from
 * json-schemas.ts; this adds what a schema cannot say: `in` lists, `fields=`, and keeping
 * the `orderby.*` keys in URL order (Fastify's parser keeps keys in the order they came).
 */
export interface FilterTerm {
  field: RestField
  op: FilterOp
  /** Bind value; an array for in/nin; a boolean for isNull. */
  value: unknown
}

export interface SortTerm {
  field: RestField
  descending: boolean
}

export interface ListRequest {
  filters: FilterTerm[]
  sort: SortTerm[]
  limit: number
  offset: number
  /** Fields to return; undefined means every readable field. */
  fields?: RestField[]
  totalCount: boolean
  cursor?: string
}

/** Most values one `in`/`nin` list may carry. */
export const MAX_LIST_ITEMS = 100

type KeyMeaning = { kind: 'where'; field: RestField; op: FilterOp } | { kind: 'orderby'; field: RestField }

/** Query key -> meaning, built once per entity so a request does no string surgery to read its keys. */
export function listKeyTable(model: ResourceModel): Map<string, KeyMeaning> {
  const table = new Map<string, KeyMeaning>()
  for (const field of model.filterable) {
    for (const op of field.ops) table.set(`where.${field.name}.${op}`, { kind: 'where', field, op })
  }
  for (const field of model.sortable) table.set(`orderby.${field.name}`, { kind: 'orderby', field })
  return table
}

export function parseListQuery(
  model: ResourceModel,
  keyTable: Map<string, KeyMeaning>,
  readableByName: Map<string, RestField>,
  query: Record<string, unknown>
): ListRequest {
  const request: ListRequest = {
    filters: [],
    sort: [],
    limit: (query.limit as number | undefined) ?? DEFAULT_LIST_LIMIT,
    offset: (query.offset as number | undefined) ?? 0,
    totalCount: query.totalCount === true
  }
  for (const key in query) {
    const meaning = keyTable.get(key)
    if (meaning === undefined) continue
    const raw = query[key]
    if (meaning.kind === 'orderby') {
      request.sort.push({ field: meaning.field, descending: raw === 'desc' })
    } else {
      request.filters.push({ field: meaning.field, op: meaning.op, value: filterValue(key, meaning.field, meaning.op, raw) })
    }
  }
  if (typeof query.fields === 'string') request.fields = parseFields(query.fields, readableByName)
  if (typeof query.cursor === 'string') {
    if (request.offset !== 0) invalid('querystring.offset', 'cannot be combined with cursor')
    request.cursor = query.cursor
  }
  return request
}

function filterValue(key: string, field: RestField, op: FilterOp, raw: unknown): unknown {
  if (op === 'isNull') return raw
  if (op === 'in' || op === 'nin') return parseList(key, field, raw as string)
  return bindValueOf(field.kind, raw)
}

function parseList(key: string, field: RestField, text: string): unknown[] {
  const items = text.split(',')
  if (items.length > MAX_LIST_ITEMS) invalid(`querystring.${key}`, `must list at most ${MAX_LIST_ITEMS} values`)
  return items.map((item) => {
    const value = parseListItem(field.kind, field.valueSchema, item)
    if (value === undefined) invalid(`querystring.${key}`, `"${item.slice(0, 50)}" is not a valid ${field.name} value`)
    return value
  })
}

function parseFields(text: string, readableByName: Map<string, RestField>): RestField[] {
  const names = text.split(',')
  const fields = [...new Set(names)].map((name) => {
    const field = readableByName.get(name)
    if (!field) invalid('querystring.fields', `"${name.slice(0, 50)}" is not a readable field`)
    return field
  })
  return fields
}
