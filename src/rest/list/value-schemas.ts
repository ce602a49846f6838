import type { FilterOp, JsonSchema } from '../kinds'
import type { ResourceModel, RestField } from '../resource-model'
import { TOTAL_COUNT_VALUES } from './counts'

/** Most rows one list page returns; `limit` defaults to DEFAULT_LIST_LIMIT. */
export const MAX_LIST_LIMIT = 100
export const DEFAULT_LIST_LIMIT = 20
/** Longest `in`/`nin` list text and cursor accepted, so a query string cannot grow SQL without bound. */
export const MAX_LIST_TEXT_LENGTH = 4_000
export const MAX_CURSOR_LENGTH = 2_000
/** A `where.or` label: conditions with the same label AND together, labels OR together. */
export const GROUP_LABEL = '[A-Za-z0-9_]{1,32}'
/** Most `where.or` labels one request may use. */
export const MAX_GROUPS = 16
/** Most rows of a to-many relation embedded per parent row (`limit.<relation>`), and the default. */
export const MAX_EMBED_LIMIT = 100
export const DEFAULT_EMBED_LIMIT = 20

/** What one filter value must look like, for the parameter's description in OpenAPI. */
function describeValue(field: RestField): string {
  const schema = field.valueSchema
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.join(', ')}`
  if (schema.type === 'integer') return `an integer from ${schema.minimum} to ${schema.maximum}`
  const detail = typeof schema.description === 'string' ? schema.description : (schema.format ?? schema.type)
  return `${field.codec.kind} (${detail})`
}

/**
 * Schema of one `where.<field>.<op>` value. Query values are text, validated and converted by
 * the column's codec (src/rest/list/parse.ts) so a list item and a scalar follow one rule.
 */
export function filterValueSchema(field: RestField, op: FilterOp, name = field.name): JsonSchema {
  switch (op) {
    case 'isNull':
      return { type: 'boolean', description: `${name} IS NULL (true) or IS NOT NULL (false)` }
    case 'in':
    case 'nin':
      return {
        type: 'string',
        maxLength: MAX_LIST_TEXT_LENGTH,
        description: `comma-separated ${name} values (${op === 'in' ? 'IN' : 'NOT IN'}), each ${describeValue(field)}; \\, is a comma inside a value, \\\\ a backslash`
      }
    case 'like':
    case 'notLike':
      return {
        type: 'string',
        maxLength: 1_000,
        description: `SQL ${op === 'like' ? 'LIKE' : 'NOT LIKE'} pattern on ${name} (% and _ are wildcards, \\ escapes)`
      }
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return { type: 'string', maxLength: 1_000, description: `${name} ${op} this text, matched literally (% and _ are plain characters)` }
    case 'between':
      return {
        type: 'string',
        maxLength: 2_000,
        description: `low,high: ${name} BETWEEN low AND high (inclusive; low must not be above high), each ${describeValue(field)}`
      }
    default:
      return { type: 'string', maxLength: 1_000, description: `${name} ${op}: ${describeValue(field)}` }
  }
}

/** `fields=`, on lists and on GET by id. */
export function fieldsParameter(model: ResourceModel): JsonSchema {
  return {
    type: 'string',
    maxLength: 2_000,
    description: `comma-separated fields to return, of: ${model.readable.map((field) => field.name).join(', ')}`
  }
}

/** The keys of a list that pick which page and what of it: each a family of its own. */
export function pageKeySchemas(model: ResourceModel): Record<string, JsonSchema> {
  return {
    limit: { type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT, description: `rows per page, 1..${MAX_LIST_LIMIT}` },
    offset: offsetSchema(0),
    fields: fieldsParameter(model),
    totalCount: {
      type: 'string',
      enum: TOTAL_COUNT_VALUES,
      description:
        'sets X-Total-Count: exact (or true) counts the matching rows, planned takes the optimiser\'s estimate, estimated is exact below REST_COUNT_EXACT_BELOW rows and planned above; Preference-Applied says which was sent (also as Prefer: count=…)'
    },
    ...(model.deleteDate && {
      withDeleted: { type: 'boolean', description: `true includes soft-deleted rows (${model.deleteDate.name} set), for callers whose roles may delete them` }
    }),
    cursor: {
      type: 'string',
      maxLength: MAX_CURSOR_LENGTH,
      description: 'opaque position from a previous page\'s Link rel="next"; do not build it yourself'
    }
  }
}

/**
 * The list `offset` parameter, at most `maxOffset` (REST_MAX_OFFSET; 0 = no bound but the
 * largest exact integer). src/rest/offset-bound.ts puts the configured bound on every list
 * route, so OpenAPI states the same limit the list grammar enforces.
 */
export function offsetSchema(maxOffset: number): JsonSchema {
  const maximum = maxOffset > 0 ? maxOffset : Number.MAX_SAFE_INTEGER
  return {
    type: 'integer',
    minimum: 0,
    maximum,
    default: 0,
    description: maxOffset > 0 ? `first page only, at most ${maxOffset}; deeper pages follow the cursor of Link rel="next"` : 'first page only'
  }
}
