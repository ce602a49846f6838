import type { Statement } from '../../db/pooled-query'
import type { ResourceModel } from '../resource-model'
import type { RowAccess } from '../row-source'
import { decodeCursor } from './cursor'
import { afterCursorQuery } from './keyset'
import type { ListRequest } from './parse'
import { filterValues } from './conditions'
import { joinValues, type ListPlan } from './plan'

type Row = Record<string, unknown>

/** The statements one list request runs, with their bind values: its page, and its count when asked. */
export interface ListStatements {
  page: { sql: Statement; values: unknown[] }
  count?: { sql: Statement; values: unknown[] }
}

/**
 * Binds one request to its plan. Runs before any connection is borrowed, so a forged cursor
 * is a 400 that costs the pool nothing. The page asks for one row more than `limit`: that row
 * tells whether a next page exists without a second query.
 */
export function listStatements(model: ResourceModel, plan: ListPlan, request: ListRequest): ListStatements {
  const values = filterValues(model, request)
  let sql = plan.sql
  let keysetValues: unknown[] = []
  if (request.cursor !== undefined) {
    const after = afterCursorQuery(plan, decodeCursor(plan.keys, plan.signature, request.cursor), request.search)
    sql = after.sql
    keysetValues = after.values
  }
  // LIMIT/OFFSET are bound as text: MySQL 8 refuses the DOUBLE mysql2 sends for a JS number there.
  const selectValues = new Array(plan.selectSearchBinds).fill(request.search)
  const page = { sql, values: [...selectValues, ...joinValues(request, plan.joins), ...values, ...keysetValues, String(request.limit + 1), String(request.offset)] }
  return request.totalCount ? { page, count: { sql: plan.countSql, values: [...joinValues(request, plan.countJoins), ...values] } } : { page }
}

/** Runs the statements side by side (each borrows its own pooled connection on the fast path). */
export async function runList(access: RowAccess, statements: ListStatements): Promise<{ rows: Row[]; total?: string }> {
  const { page, count } = statements
  const [rows, counted] = await Promise.all([
    access.run<Row>(page.sql, page.values),
    count === undefined ? undefined : access.run<{ total: number | string }>(count.sql, count.values)
  ])
  return counted === undefined ? { rows } : { rows, total: String(counted[0].total) }
}
