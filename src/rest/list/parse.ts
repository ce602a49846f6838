import type { FilterOp } from '../kinds'
import { invalidQuery as invalid } from '../query-errors'
import { OffsetTooDeepError } from '../../http/errors'
import type { RestField } from '../resource-model'
import type { FilterKey, ListGrammar } from './grammar'
import { filterValue } from './filter-values'
import { unicodeProblem } from '../kinds/codec'
import { RELEVANCE } from './search'
import type { RestRelation } from '../relations'
import type { OwnerScope } from '../access'
import { countKindOf, type CountKind } from './counts'
import { DEFAULT_EMBED_LIMIT, DEFAULT_LIST_LIMIT, MAX_GROUPS } from './value-schemas'

/**
 * The list query string (src/rest/list/grammar.ts) turned into a typed request. ajv has
 * already rejected unknown keys and checked the shape of each value against the schema the
 * grammar derives; every filter value — a scalar or one item of an `in` list — is then read
 * by the column's codec, so one rule decides what a value of that column is.
 * `orderby.*` keys keep their URL order (Fastify's parser keeps keys in the order they came).
 */
export interface Condition {
  field: RestField
  /** A field of an includable relation: through its join (to-one) or as "has a related row with" (to-many, EXISTS). */
  relation?: RestRelation
  op: FilterOp
  /** Bind value; an array for in/nin/between; a boolean for isNull. */
  value: unknown
  /** `where.not.`: the condition is negated (NOT (...)). */
  negated: boolean
}

export interface SortTerm {
  field: RestField
  /** A to-one relation's field (`orderby.author.name`): sorted through its join. */
  relation?: RestRelation
  descending: boolean
}

export interface ListRequest {
  /** ANDed together, in a canonical order (by field, then op, a negated condition after its plain one), so equal filters in any URL order share one statement. */
  where: Condition[]
  /** `where.or` groups by label order: each group's conditions AND, the groups OR, and the whole ANDs with `where`. */
  groups: Condition[][]
  sort: SortTerm[]
  limit: number
  offset: number
  /** Fields to return, in declaration order; undefined means every readable field. */
  fields?: RestField[]
  /** How X-Total-Count is counted (`totalCount=` or `Prefer: count=`); undefined: not counted. */
  count?: CountKind
  /** The entity's owner rule restricts the caller to its own rows (set by the reader): counts are then exact, never estimated from the whole table. */
  ownerScoped?: boolean
  cursor?: string
  /** Relations to embed (`include=`), in the order the entity declares them. */
  embeds: Embed[]
  /** `search=`: the words of a full-text search (natural language mode). */
  search?: string
  /** `withDeleted=true`: soft-deleted rows too. */
  withDeleted?: boolean
  /** Also read the version column (under the key the ETag is taken from): GET /:id with embeds. */
  version?: boolean
  /**
   * Relations (embedded, filtered or sorted through) whose owner rule restricts the caller, set
   * by the reader: only the caller's own related rows embed, match or sort.
   */
  owners: Map<RestRelation, OwnerScope>
}

/** One included relation. */
export interface Embed {
  relation: RestRelation
  /** Fields of the related rows, in declaration order; undefined means every field the caller may read. */
  fields?: RestField[]
  /** to-many: the order of each row's related rows (before their primary key), and how many at most. */
  sort: SortTerm[]
  limit: number
  /** Relations of the related rows embedded in turn (`include=books.orders`), shaped by the same keys under their path. */
  children: Embed[]
}

const NOT_PREFIX = 'where.not.'
const OR_PREFIX = 'where.or.'

type Ranked = [number, Condition]

export function parseListQuery(grammar: ListGrammar, readable: readonly RestField[], query: Record<string, unknown>): ListRequest {
  const request: ListRequest = {
    where: [],
    groups: [],
    sort: [],
    limit: (query.limit as number | undefined) ?? DEFAULT_LIST_LIMIT,
    offset: (query.offset as number | undefined) ?? 0,
    count: countKindOf(query.totalCount),
    embeds: [],
    owners: new Map()
  }
  // Every embed by its include path (`books`, `books.orders`), made with the embeds on its way.
  const embeds = new Map<string, Embed>()
  const embedAt = (path: string): Embed => {
    let embed = embeds.get(path)
    if (embed !== undefined) return embed
    const dot = path.lastIndexOf('.')
    if (dot === -1) embed = newEmbed(includedRelation(grammar, path))
    else {
      const parent = embedAt(path.slice(0, dot))
      embed = newEmbed(parent.relation.target.includable.get(path.slice(dot + 1))!)
      parent.children.push(embed)
    }
    embeds.set(path, embed)
    return embed
  }
  if (typeof query.include === 'string') {
    for (const path of query.include.split(',')) {
      if (path.includes('.') && !grammar.paths.has(path)) refuseInclude(grammar, path)
      embedAt(path)
    }
  }
  const named = typeof query.fields === 'string' ? fieldNamesOf(grammar, query.fields) : undefined
  for (const [path, names] of named?.related ?? []) {
    const embed = embedAt(path)
    embed.fields = parseFieldNames(names, embed.relation.target.readable, `${path}.`)
  }
  const where: Ranked[] = []
  const groups = new Map<string, Ranked[]>()
  for (const key in query) {
    if (!key.startsWith('where.')) {
      const sortKey = grammar.sortKeys.get(key)
      const limited = grammar.limitKeys.get(key)
      const descending = query[key] === 'desc'
      if (sortKey?.embed !== undefined) requiredEmbed(embeds, sortKey.embed, key).sort.push({ field: sortKey.field, descending })
      else if (sortKey) request.sort.push({ field: sortKey.field, relation: sortKey.relation, descending })
      else if (limited !== undefined) requiredEmbed(embeds, limited, key).limit = query[key] as number
      continue
    }
    const raw = query[key]
    // No filterable field is named `not` or `or` (grammar.ts refuses it), so these prefixes are unambiguous.
    if (key.startsWith(NOT_PREFIX)) {
      where.push(condition(key, filterKeyOf(grammar, 'where.' + key.slice(NOT_PREFIX.length)), raw, true))
    } else if (key.startsWith(OR_PREFIX)) {
      const labelEnd = key.indexOf('.', OR_PREFIX.length)
      const label = key.slice(OR_PREFIX.length, labelEnd)
      let members = groups.get(label)
      if (members === undefined) {
        if (groups.size >= MAX_GROUPS) invalid(`querystring.${key}`, `is one where.or label too many: at most ${MAX_GROUPS} labels`)
        groups.set(label, (members = []))
      }
      members.push(condition(key, filterKeyOf(grammar, 'where.' + key.slice(labelEnd + 1)), raw, false))
    } else {
      where.push(condition(key, filterKeyOf(grammar, key), raw, false))
    }
  }
  request.where = canonical(where)
  request.groups = [...groups.keys()].sort().map((label) => canonical(groups.get(label)!))
  if (named !== undefined) request.fields = parseFieldNames(named.own, readable)
  if (typeof query.search === 'string') request.search = searchText(query.search)
  if (query.withDeleted === true) request.withDeleted = true
  if (request.search === undefined && request.sort.some((term) => term.field === RELEVANCE)) {
    invalid('querystring.orderby.relevance', 'sorts by the relevance to search=: add search=<words>')
  }
  request.embeds = [...grammar.relations.keys()].filter((name) => embeds.has(name)).map((name) => embeds.get(name)!)
  if (typeof query.cursor === 'string') {
    if (request.offset !== 0) invalid('querystring.offset', 'cannot be combined with cursor')
    request.cursor = query.cursor
  }
  return request
}

/** Whether a GET /:id query needs the list's SQL: it embeds (`include=`, or `fields=` naming a relation's field), or reads deleted rows. */
export function needsListRead(grammar: ListGrammar, query: { include?: unknown; fields?: unknown; withDeleted?: unknown }): boolean {
  if (query.include !== undefined || query.withDeleted === true) return true
  return typeof query.fields === 'string' && query.fields.split(',').some((name) => grammar.relations.has(name.split('.')[0]) && name.includes('.'))
}

function searchText(text: string): string {
  const problem = unicodeProblem(text)
  if (problem) invalid('querystring.search', problem)
  if (text.trim() === '') invalid('querystring.search', 'must hold at least one word')
  return text
}

function newEmbed(relation: RestRelation): Embed {
  return { relation, sort: [], limit: DEFAULT_EMBED_LIMIT, children: [] }
}

function includedRelation(grammar: ListGrammar, name: string): RestRelation {
  const relation = grammar.relations.get(name)
  if (relation === undefined) refuseInclude(grammar, name)
  return relation
}

function refuseInclude(grammar: ListGrammar, name: string): never {
  const includable = [...grammar.relations.keys(), ...grammar.paths].join(', ') || 'none'
  invalid('querystring.include', `"${name.slice(0, 80)}" is not an includable relation; includable: ${includable}`)
}

/** `limit.books` and `orderby.books.<field>` shape what `include=books` embeds, so they need it. */
function requiredEmbed(embeds: Map<string, Embed>, path: string, key: string): Embed {
  const embed = embeds.get(path)
  if (embed === undefined) invalid(`querystring.${key}`, `shapes the embedded ${path}: add include=${path}`)
  return embed
}

/**
 * `fields=` names split into the row's own and each include path's (`author.name`,
 * `books.orders.quantity`: the longest path the name starts with). A path named there is
 * included, as if `include=` named it too, and so is every embed on its way, which then shows
 * only what is listed under it (`fields=id,books.orders.quantity` gives each book just its
 * `orders`). An embedded object's column (`address.city`) stays the row's own: no relation
 * shares a property name with it.
 */
function fieldNamesOf(grammar: ListGrammar, text: string): { own: Set<string>; related: Map<string, Set<string>> } {
  const own = new Set<string>()
  const related = new Map<string, Set<string>>()
  const namesAt = (path: string) => {
    let names = related.get(path)
    if (names === undefined) related.set(path, (names = new Set()))
    return names
  }
  for (const name of text.split(',')) {
    const path = embedPathOf(grammar, name)
    if (path === undefined) {
      own.add(name)
      continue
    }
    namesAt(path).add(name.slice(path.length + 1))
    for (let dot = path.indexOf('.'); dot !== -1; dot = path.indexOf('.', dot + 1)) namesAt(path.slice(0, dot))
  }
  return { own, related }
}

/** The longest include path a dotted `fields=` name starts with, if any. */
function embedPathOf(grammar: ListGrammar, name: string): string | undefined {
  const segments = name.split('.')
  for (let end = segments.length - 1; end >= 2; end--) {
    const path = segments.slice(0, end).join('.')
    if (grammar.paths.has(path)) return path
  }
  return segments.length > 1 && grammar.relations.has(segments[0]) ? segments[0] : undefined
}

/** The key table entry; the schema admitted only keys the grammar knows, so a miss is a bug there. */
function filterKeyOf(grammar: ListGrammar, key: string): FilterKey {
  const meaning = grammar.filterKeys.get(key)
  if (meaning === undefined) throw new Error(`list grammar: the querystring schema admitted ${key}, which the key table does not know`)
  return meaning
}

function condition(key: string, meaning: FilterKey, raw: unknown, negated: boolean): Ranked {
  const rank = negated ? meaning.rank + 0.5 : meaning.rank
  return [rank, { field: meaning.field, relation: meaning.relation, op: meaning.op, value: filterValue(key, meaning.field, meaning.op, raw), negated }]
}

function canonical(ranked: Ranked[]): Condition[] {
  return ranked.sort((a, b) => a[0] - b[0]).map(([, term]) => term)
}

/** The entity's own relations a request reads through: embedded (first level), filtered or sorted by. */
export function ownRelationsOf(request: ListRequest): Set<RestRelation> {
  const relations = new Set<RestRelation>(request.embeds.map((embed) => embed.relation))
  for (const condition of conditionsOf(request)) if (condition.relation) relations.add(condition.relation)
  for (const term of request.sort) if (term.relation) relations.add(term.relation)
  return relations
}

/** Every relation a request reads through, down its include paths too. */
export function relationsOf(request: ListRequest): Set<RestRelation> {
  const relations = ownRelationsOf(request)
  for (const embed of embedsOf(request.embeds)) relations.add(embed.relation)
  return relations
}

/** Every embed of a tree, parents before their children. */
export function embedsOf(embeds: readonly Embed[]): Embed[] {
  return embeds.flatMap((embed) => [embed, ...embedsOf(embed.children)])
}

/** Every condition of a request, in the order their SQL and bind values appear. */
export function conditionsOf(request: ListRequest): Condition[] {
  return request.groups.length === 0 ? request.where : [...request.where, ...request.groups.flat()]
}

/** `fields=b,a` and `fields=a,b` name the same columns; declaration order keeps them one statement. */
export function parseFields(text: string, readable: readonly RestField[]): RestField[] {
  return parseFieldNames(new Set(text.split(',')), readable)
}

/** Names of `readable` fields (or of embedded objects, standing for their columns); `prefix` names an included relation in messages. */
function parseFieldNames(names: Set<string>, readable: readonly RestField[], prefix = ''): RestField[] {
  const fields = readable.filter((field) => names.has(field.name) || names.has(field.name.split('.')[0]))
  for (const name of names) {
    if (!readable.some((field) => field.name === name || field.name.startsWith(name + '.'))) {
      invalid('querystring.fields', `"${prefix}${name.slice(0, 50)}" is not a readable field; readable: ${readable.map((field) => prefix + field.name).join(', ')}`)
    }
  }
  return fields
}

/**
 * Refuses a list offset deeper than `maxOffset` (REST_MAX_OFFSET; 0 = no bound), given as the
 * query-string text, before the request is validated or any connection is borrowed: MariaDB
 * reads and throws away every row before an OFFSET, so `offset=1000000` on a large table holds
 * a pooled connection for as long as a full scan takes. The cursor costs the same at any depth.
 * Text that is not plain decimal digits is left to the schema, which refuses it.
 */
export function refuseDeepOffset(offsetText: unknown, maxOffset: number): void {
  if (maxOffset === 0 || typeof offsetText !== 'string' || !/^[0-9]{1,20}$/.test(offsetText)) return
  if (Number(offsetText) <= maxOffset) return
  const message = `must be at most ${maxOffset}; for deeper pages follow the Link rel="next" header, whose cursor= reads any page as fast as the first`
  const error = new OffsetTooDeepError(`querystring.offset ${message}`)
  throw Object.assign(error, { errors: [{ path: 'querystring.offset', message }] })
}
