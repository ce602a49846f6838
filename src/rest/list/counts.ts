import type { Statement } from '../../db/pooled-query'
import type { RowAccess } from '../row-source'
import { preferencesOf } from '../prefer'
import { explain } from './query-plan'

/**
 * How a list counts its matching rows for X-Total-Count, after PostgREST's `Prefer: count=`:
 * `exact` runs SELECT COUNT(*) (reads every matching row), `planned` takes the optimiser's row
 * estimate of that count from EXPLAIN (reads none; can be far off), `estimated` is exact when
 * the plan says counting reads fewer than REST_COUNT_EXACT_BELOW rows, planned otherwise.
 */
export type CountKind = 'exact' | 'planned' | 'estimated'
/** The kind a response sent: what `Preference-Applied: count=` says. */
export type SentCount = 'exact' | 'planned'

const KINDS: Readonly<Record<string, CountKind | undefined>> = { true: 'exact', exact: 'exact', planned: 'planned', estimated: 'estimated' }

/** The `totalCount=` values the query schema admits: true (= exact, as before issue 14), false (no count), or a kind. */
export const TOTAL_COUNT_VALUES = ['true', 'false', 'exact', 'planned', 'estimated']

/** `totalCount=` text (the schema admits only TOTAL_COUNT_VALUES) as a kind; undefined for false or absent. */
export function countKindOf(totalCount: unknown): CountKind | undefined {
  return typeof totalCount === 'string' ? KINDS[totalCount] : undefined
}

/**
 * The kind `Prefer: count=…` asks for, read only when the URL has no `totalCount=` (false
 * included: the URL is explicit, and caches key on it); an unknown count value is ignored, as
 * RFC 7240 asks of preferences a server does not know.
 */
export function preferredCount(prefer: string | string[]): CountKind | undefined {
  const value = preferencesOf(prefer).get('count')
  return value === 'exact' || value === 'planned' || value === 'estimated' ? value : undefined
}

export interface CountStatement {
  sql: Statement
  values: unknown[]
  kind: CountKind
}

/** Counts as `count.kind` asks; `exactBelow` is REST_COUNT_EXACT_BELOW. */
export async function countRows(access: RowAccess, count: CountStatement, exactBelow: number): Promise<{ total: string; kind: SentCount }> {
  if (count.kind !== 'exact') {
    const plan = await explain(access.run, count.sql, count.values)
    if (count.kind === 'planned' || plan.scanRows >= exactBelow) return { total: String(plan.resultRows), kind: 'planned' }
  }
  const [row] = await access.run<{ total: number | string }>(count.sql, count.values)
  return { total: String(row.total), kind: 'exact' }
}
