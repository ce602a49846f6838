import type { FilterOp, JsonSchema } from '../kinds'
import type { ResourceModel, RestField } from '../resource-model'
import type { RestRelation } from '../relations'
import { embedFamilies } from './embed-families'
import { RELEVANCE } from './search'
import { hintsOf } from './query-hints'
import { filterValueSchema, GROUP_LABEL, MAX_GROUPS, MAX_LIST_TEXT_LENGTH, pageKeySchemas } from './value-schemas'

/**
 * What one resource's list query string allows, described once: every family of keys
 * (`where`, `where.not`, `where.or`, `orderby`, the page keys) with its keys or key patterns
 * and their value schemas. The querystring schema (ajv), the OpenAPI parameters (one per
 * family, src/http/openapi.ts reads `x-families`), the parser's key table and the docs
 * table (test/docs checks docs/rest.md against `families`) are all derived from it.
 */
export interface QueryFamily {
  /** The family's name: its OpenAPI parameter and its row in docs/rest.md. */
  name: string
  /** How its keys are spelled, for people: `where.or.<label>.<field>.<op>`. */
  spelling: string
  description: string
  /** Keys with a fixed name, each with the schema of its value. */
  keys: Record<string, JsonSchema>
  /** Keys with a free part (a label), as regex sources, each with the schema of its value. */
  patterns: Record<string, JsonSchema>
  /** A working example: keys and values a seeded database answers. */
  example: Record<string, string>
}

/** What one key of the `where` families means. */
export interface FilterKey {
  field: RestField
  /** Set for a field of an includable relation (`where.author.name.like`): a join (to-one) or EXISTS (to-many). */
  relation?: RestRelation
  op: FilterOp
  /** Position in the canonical order, so equal filters in any URL order share one statement. */
  rank: number
}

export interface ListGrammar {
  families: QueryFamily[]
  /** `where.<field>.<op>` -> its field and op; `where.not.` and `where.or.<label>.` keys are read through it. */
  filterKeys: Map<string, FilterKey>
  /**
   * `orderby.<field>` -> the field; `orderby.<to-one>.<field>` -> the related field the rows
   * sort by; `orderby.<path>.<field>` -> the field that orders the arrays an include path ending in
   * a to-many relation embeds (`books`, `books.orders`).
   */
  sortKeys: Map<string, { field: RestField; relation?: RestRelation; embed?: string }>
  /** `limit.<path>` -> the include path (ending in a to-many relation) whose arrays it bounds. */
  limitKeys: Map<string, string>
  /** Relations `include=` (and `fields=<relation>.<field>`) may name. */
  relations: ReadonlyMap<string, RestRelation>
  /** Include paths through the related entities' own relations (`books.orders`). */
  paths: ReadonlySet<string>
  /** The querystring schema of the list route. */
  querySchema: JsonSchema
  /** The querystring schema of GET /:id: `fields=`, and the embed families when the entity has includable relations. */
  oneQuerySchema: JsonSchema
  /** The querystring schema of a PATCH or DELETE on the collection: the families that select rows. */
  filterQuerySchema: JsonSchema
}

/** The families GET /:id takes: what of the row, and what to embed with it. */
const ONE_ROW_FAMILIES = new Set(['fields', 'include', 'limit.<relation>', 'orderby.<relation>', 'withDeleted'])

/** The families that select rows (and nothing about how they are shown): a bulk PATCH's or DELETE's. */
const FILTER_FAMILIES = new Set(['where', 'where.not', 'where.or', 'where.<relation>', 'search'])

/** First segments a `where` key gives a meaning of its own, so no filterable field may start with them. */
export const RESERVED_FILTER_NAMES = ['not', 'or']

export function listGrammarOf(model: ResourceModel): ListGrammar {
  refuseReservedNames(model)
  const filterKeys = new Map<string, FilterKey>()
  const sortKeys: ListGrammar['sortKeys'] = new Map()
  const limitKeys: ListGrammar['limitKeys'] = new Map()
  const where: Record<string, JsonSchema> = {}
  const whereRelated: Record<string, JsonSchema> = {}
  const targets = filterTargetsOf(model)
  for (const { name, field, relation } of targets) {
    for (const op of field.ops) {
      filterKeys.set(`where.${name}.${op}`, { field, relation, op, rank: filterKeys.size })
      ;(relation ? whereRelated : where)[`where.${name}.${op}`] = filterValueSchema(field, op, name)
    }
  }
  const orderby: Record<string, JsonSchema> = {}
  const toOne = [...model.includable.values()].filter((relation) => relation.kind === 'to-one')
  const sortTargets = [...model.sortable.map((field) => ({ name: field.name, field, relation: undefined })), ...toOne.flatMap((relation) => relation.target.sortable.map((field) => ({ name: `${relation.name}.${field.name}`, field, relation })))]
  if (model.fullText) {
    if (model.sortable.some((field) => field.name === 'relevance')) {
      throw new Error(`${model.name}.relevance: with a FULLTEXT index, orderby.relevance sorts by search relevance; a sortable field cannot be named "relevance"`)
    }
    sortTargets.push({ name: 'relevance', field: RELEVANCE, relation: undefined })
  }
  for (const { name, field, relation } of sortTargets) {
    sortKeys.set(`orderby.${name}`, { field, relation })
    orderby[`orderby.${name}`] = {
      type: 'string',
      enum: ['asc', 'desc'],
      description: name === 'relevance' ? 'sort by relevance to search= (desc: best first)' : `sort by ${name}; repeat orderby.* keys to sort by several fields, in URL order`
    }
  }
  const families: QueryFamily[] = []
  if (model.filterable.length > 0) {
    const [first, second] = exampleFilters(model)
    families.push(
      {
        name: 'where',
        spelling: 'where.<field>.<op>',
        description: `filters, ANDed together; filterable fields and their ops: ${model.filterable.map((field) => `${field.name} (${field.ops.join(' ')})`).join(', ')}`,
        keys: where,
        patterns: {},
        example: prefixed('where.', first)
      },
      {
        name: 'where.not',
        spelling: 'where.not.<field>.<op>',
        description: 'each negates its own condition (NOT a AND NOT b); a row where the field is NULL matches neither the condition nor its negation (SQL NULL semantics)',
        keys: {},
        patterns: conditionPatterns(targets, 'where\\.not\\.', 'the negated condition'),
        example: prefixed('where.not.', first)
      },
      {
        name: 'where.or',
        spelling: `where.or.<label>.<field>.<op>`,
        description: `boolean groups: conditions with the same label (${GROUP_LABEL}) AND together, labels OR together, and the group ANDs with the other filters; at most ${MAX_GROUPS} labels`,
        keys: {},
        patterns: conditionPatterns(targets, `where\\.or\\.${GROUP_LABEL}\\.`, 'one condition of the labelled group'),
        example: { ...prefixed('where.or.a.', first), ...prefixed('where.or.b.', second) }
      }
    )
  }
  if (Object.keys(whereRelated).length > 0) {
    const related = targets.find((target) => target.relation !== undefined)!
    families.push({
      name: 'where.<relation>',
      spelling: 'where.<relation>.<field>.<op>',
      description:
        'filters through an includable relation: on a to-one relation, its row\'s field; on a to-many relation, "has at least one related row with" (each such condition its own test)',
      keys: whereRelated,
      patterns: {},
      example: { [`where.${related.name}.${related.field.ops[0]}`]: exampleValue(related.field) }
    })
  }
  if (model.sortable.length > 0) {
    const field = model.sortable.find((each) => each !== model.primary) ?? model.primary
    families.push({
      name: 'orderby',
      spelling: 'orderby.<field>',
      description: `sort keys in URL order, then the primary key; sortable fields: ${model.sortable.map((each) => each.name).join(', ')}`,
      keys: orderby,
      patterns: {},
      example: { [`orderby.${field.name}`]: 'desc' }
    })
  }
  if (model.fullText) {
    families.push({
      name: 'search',
      spelling: 'search=<words>',
      description: 'full-text search (natural language mode) over the FULLTEXT index; orderby.relevance=desc puts the best matches first',
      keys: { search: { type: 'string', minLength: 1, maxLength: 1_000, description: `words to find, over the entity's FULLTEXT index: ${model.fullText}` } },
      patterns: {},
      example: { search: 'word', 'orderby.relevance': 'desc' }
    })
  }
  families.push(...embedFamilies(model, sortKeys, limitKeys))
  for (const [name, schema] of Object.entries(pageKeySchemas(model))) {
    families.push({ name, spelling: name, description: String(schema.description ?? ''), keys: { [name]: schema }, patterns: {}, example: {} })
  }
  // `fields` first: what of the row, then what to embed with it.
  const forOne = families.filter((family) => ONE_ROW_FAMILIES.has(family.name)).sort((a, b) => Number(b.name === 'fields') - Number(a.name === 'fields'))
  return {
    families,
    filterKeys,
    sortKeys,
    limitKeys,
    relations: model.includable,
    paths: model.includePaths,
    querySchema: querySchemaOf(model, families),
    oneQuerySchema: querySchemaOf(model, forOne),
    filterQuerySchema: querySchemaOf(model, families.filter((family) => FILTER_FAMILIES.has(family.name)))
  }
}

/** The ajv schema: every family's keys and patterns; anything else is a 400 that says what is allowed. */
function querySchemaOf(model: ResourceModel, families: QueryFamily[]): JsonSchema {
  const properties: Record<string, JsonSchema> = {}
  const patternProperties: Record<string, JsonSchema> = {}
  for (const family of families) {
    Object.assign(properties, family.keys)
    Object.assign(patternProperties, family.patterns)
  }
  return {
    type: 'object',
    additionalProperties: false,
    properties,
    ...(Object.keys(patternProperties).length > 0 && { patternProperties }),
    'x-hints': hintsOf(model, families),
    'x-families': families.map(({ name, spelling, description, keys, patterns, example }) => ({
      name,
      spelling,
      description,
      keys: Object.keys(keys),
      patterns: Object.keys(patterns),
      example
    }))
  }
}

/**
 * `<prefix><field>.<op>` keys (`where.not.`, `where.or.<label>.`) as two patterns: `isNull`
 * takes a boolean, every other op text (read by the column's codec, like the same
 * `where.<field>.<op>`). One alternation per field keeps each field to its own ops.
 */
function conditionPatterns(targets: FilterTarget[], prefix: string, meaning: string): Record<string, JsonSchema> {
  const branches = (predicate: (op: FilterOp) => boolean) =>
    targets
      .map(({ name, field }) => [name, field.ops.filter(predicate)] as const)
      .filter(([, ops]) => ops.length > 0)
      .map(([name, ops]) => `${escapeRegex(name)}\\.(?:${ops.join('|')})`)
  const patterns: Record<string, JsonSchema> = {}
  const valued = branches((op) => op !== 'isNull')
  if (valued.length > 0) {
    patterns[`^${prefix}(?:${valued.join('|')})$`] = { type: 'string', maxLength: MAX_LIST_TEXT_LENGTH, description: `${meaning}, read like the same where.<field>.<op>` }
  }
  const nullable = branches((op) => op === 'isNull')
  if (nullable.length > 0) {
    patterns[`^${prefix}(?:${nullable.join('|')})$`] = { type: 'boolean', description: `${meaning}: IS NULL (true) or IS NOT NULL (false)` }
  }
  return patterns
}

/** A field a `where` key may name: the entity's own (`title`), or an includable relation's (`author.name`). */
interface FilterTarget {
  name: string
  field: RestField
  relation?: RestRelation
}

function filterTargetsOf(model: ResourceModel): FilterTarget[] {
  const own: FilterTarget[] = model.filterable.map((field) => ({ name: field.name, field }))
  const related = [...model.includable.values()].flatMap((relation) => relation.target.filterable.map((field) => ({ name: `${relation.name}.${field.name}`, field, relation })))
  return [...own, ...related]
}

/** Two conditions (`<field>.<op>` = value) a seeded database answers, for the examples: on the first two filterable fields. */
function exampleFilters(model: ResourceModel): [Record<string, string>, Record<string, string>] {
  const [first, second = first] = model.filterable
  const example = (field: RestField) => {
    const op = field.ops.includes('gte') ? 'gte' : field.ops[0]
    return { [`${field.name}.${op}`]: op === 'isNull' ? 'false' : exampleValue(field) }
  }
  return [example(first), example(second)]
}

function exampleValue(field: RestField): string {
  const schema = field.valueSchema
  if (Array.isArray(schema.enum)) return String(schema.enum[0])
  if (schema.type === 'integer' || schema.type === 'number') return '1'
  if (schema.format === 'date-time') return '2026-01-01T00:00:00Z'
  if (schema.format === 'date') return '2026-01-01'
  return 'a'
}

function prefixed(prefix: string, example: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(example).map(([key, value]) => [prefix + key, value]))
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function refuseReservedNames(model: ResourceModel): void {
  for (const field of model.filterable) {
    const head = field.name.split('.')[0]
    if (RESERVED_FILTER_NAMES.includes(head)) {
      throw new Error(`${model.name}.${field.name}: a filterable field cannot be named "${head}" (where.${head}.… is the ${head.toUpperCase()} group of the list grammar); leave it out of "filterable"`)
    }
  }
}
