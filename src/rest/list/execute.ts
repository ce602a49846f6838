import type { Statement } from '../../db/pooled-query'
import type { ResourceModel } from '../resource-model'
import type { RowAccess } from '../row-source'
import { decodeCursor } from './cursor'
import { afterCursorQuery } from './keyset'
import type { ListRequest } from './parse'
import { filterValues } from './conditions'
import { joinValues, type ListPlan } from './plan'
import { countRows, type CountStatement, type SentCount } from './counts'

type Row = Record<string, unknown>

/** The statements one list request runs, with their bind values: its page, and its count when asked. */
export interface ListStatements {
  page: { sql: Statement; values: unknown[] }
  count?: CountStatement
}

/**
 * Binds one request to its plan. Runs before any connection is borrowed, so a forged cursor
 * is a 400 that costs the pool nothing. The page asks for one row more than `limit`: that row
 * tells whether a next page exists without a second query.
 */
export function listStatements(model: ResourceModel, plan: ListPlan, request: ListRequest): ListStatements {
  const values = filterValues(model, request)
  let page: ListStatements['page']
  if (request.cursor === undefined) page = { sql: plan.sql, values: pageValues(plan, request, values, []) }
  else {
    const after = afterCursorQuery(plan, decodeCursor(plan.keys, plan.signature, request.cursor), request.search)
    page = { sql: after.sql, values: pageValues(plan, request, values, after.values) }
  }
  if (request.count === undefined) return { page }
  // Under an owner rule an estimate would come from the whole table's statistics, telling the caller about rows it may not see.
  const kind = request.ownerScoped ? 'exact' : request.count
  return { page, count: { sql: plan.countSql, values: [...joinValues(request, plan.countJoins), ...values], kind } }
}

/**
 * The first page's statement (plan.sql) of a request, also when it reads after a cursor: what
 * the scan bound and the plan answer explain. `paging` overrides the request's limit and offset
 * (the scan bound judges a shape at its widest page, whatever page the first request asked for).
 */
export function firstPageStatement(model: ResourceModel, plan: ListPlan, request: ListRequest, paging: { limit: number; offset: number } = request): { sql: Statement; values: unknown[] } {
  return { sql: plan.sql, values: pageValues(plan, request, filterValues(model, request), [], paging) }
}

function pageValues(plan: ListPlan, request: ListRequest, values: unknown[], keysetValues: unknown[], paging: { limit: number; offset: number } = request): unknown[] {
  // LIMIT/OFFSET are bound as text: MySQL 8 refuses the DOUBLE mysql2 sends for a JS number there.
  const selectValues = new Array(plan.selectSearchBinds).fill(request.search)
  return [...selectValues, ...joinValues(request, plan.joins), ...values, ...keysetValues, String(paging.limit + 1), String(paging.offset)]
}

/** Runs the statements side by side (each borrows its own pooled connection on the fast path); `exactBelow` is REST_COUNT_EXACT_BELOW. */
export async function runList(access: RowAccess, statements: ListStatements, exactBelow: number): Promise<{ rows: Row[]; total?: string; countKind?: SentCount }> {
  const { page, count } = statements
  const [rows, counted] = await Promise.all([access.run<Row>(page.sql, page.values), count === undefined ? undefined : countRows(access, count, exactBelow)])
  return counted === undefined ? { rows } : { rows, total: counted.total, countKind: counted.kind }
}
