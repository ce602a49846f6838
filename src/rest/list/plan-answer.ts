import type { Statement } from '../../db/pooled-query'
import type { JsonSchema } from '../kinds'
import type { QueryPlan } from './query-plan'

/**
 * REST_EXPLAIN's answer to a list GET sent with `Accept: application/vnd.lifeguard.plan+json`:
 * the SQL of the page (and of its count, when one is asked) and what the optimiser plans for
 * it, instead of the rows. Bind values are never answered — a filter value can be a secret,
 * and the SQL's `?` say where each goes. The statements are planned with the request's own
 * values, so the plan is the one this request would get; embeds (read after the page) are not shown.
 */
export const PLAN_MEDIA_TYPE = 'application/vnd.lifeguard.plan+json'

export interface PlannedStatement {
  sql: Statement
  scanRows: number
  resultRows: number
  filesort: boolean
  plan: unknown
}

export interface PlanAnswer extends PlannedStatement {
  count?: PlannedStatement
}

/** `scanRows`: what the statement reads for its answer (a page stops at its LIMIT when nothing is sorted: rowsToFill). */
export function plannedStatement(sql: Statement, estimate: QueryPlan, scanRows = estimate.scanRows): PlannedStatement {
  return { sql, scanRows, resultRows: estimate.resultRows, filesort: estimate.filesort, plan: withoutValues(estimate.plan) }
}

/** Plan entries that hold only names and sizes: everything else may quote a bound value. */
const NAME_KEYS = new Set(['table_name', 'access_type', 'key', 'key_length', 'possible_keys', 'used_key_parts'])
/** A quoted literal (with '' or \' inside, and an introducer such as _utf8mb4 before it), a hex literal, or a number standing alone. */
const LITERAL = /(?<![\w.`])0x[0-9a-f]+|(?:_[a-z0-9]+)?'(?:[^'\\]|\\.|'')*'|(?<![\w.`])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w`])/gi

/**
 * The plan with every literal of its text replaced by `?`: EXPLAIN writes conditions with the
 * bind values in them (`attached_condition: "books.title = 'secret'"`, a search's AGAINST words
 * in a sort key), and those values may be what the caller filtered by, secrets included.
 */
export function withoutValues(plan: unknown, key = ''): unknown {
  if (typeof plan === 'string') return NAME_KEYS.has(key) ? plan : plan.replace(LITERAL, '?')
  if (Array.isArray(plan)) return plan.map((item) => withoutValues(item, key))
  if (plan === null || typeof plan !== 'object') return plan
  return Object.fromEntries(Object.entries(plan).map(([name, value]) => [name, withoutValues(value, name)]))
}

/** Whether a request asks for the plan (only honoured with REST_EXPLAIN on). */
export function wantsPlan(accept: string | undefined): boolean {
  return accept !== undefined && accept.toLowerCase().includes(PLAN_MEDIA_TYPE)
}

const statementProperties: Record<string, JsonSchema> = {
  sql: { type: 'string', description: 'the statement, with ? where each bind value goes (values are not shown)' },
  scanRows: { type: 'integer', description: 'rows the optimiser estimates the statement reads for its answer (a page that needs no sort stops at its LIMIT)' },
  resultRows: { type: 'integer', description: 'rows it estimates the statement answers' },
  filesort: { type: 'boolean', description: 'the rows are sorted (or gathered in a temporary table) after reading: no index gives the order' },
  plan: { type: 'object', additionalProperties: true, description: 'EXPLAIN FORMAT=JSON as the server wrote it' }
}

/** The answer's schema, for serialisation and OpenAPI (declared only with REST_EXPLAIN on). */
export const PLAN_ANSWER_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['sql', 'scanRows', 'resultRows', 'filesort', 'plan'],
  properties: {
    ...statementProperties,
    count: { type: 'object', required: ['sql', 'scanRows', 'resultRows', 'filesort', 'plan'], properties: statementProperties, description: 'the count statement, when totalCount or Prefer: count= asks for one' }
  }
}
