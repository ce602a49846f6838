import type { Statement, StatementRunner } from '../../db/pooled-query'

/**
 * What the optimiser says one statement will cost: `EXPLAIN FORMAT=JSON` of the statement with
 * the request's bind values (MariaDB prepares EXPLAIN like any SELECT, so it runs on the same
 * RowAccess — the same pool rules, the same request transaction — as the statement itself).
 * It only plans: no row is read. The one place that reads EXPLAIN output; planned counts, the
 * scan bound (REST_MAX_SCAN_ROWS) and the plan answer (REST_EXPLAIN) all go through it.
 */
export interface QueryPlan {
  /** The plan as the server wrote it (MariaDB's or MySQL's FORMAT=JSON), parsed. */
  plan: unknown
  /** Rows the statement reads: the product of each joined table's estimated rows (per scan). */
  scanRows: number
  /** Rows it answers: the same product with each table's `filtered` share applied. */
  resultRows: number
  /** The rows are sorted (or gathered in a temporary table) after they are read: no index gives the ORDER BY, and a LIMIT does not stop the reading early. */
  filesort: boolean
  /** Some table is read in full order rather than looked up: access type ALL (the table) or index (an index, which a LIMIT may cut short: scanRows says how far). */
  fullScan: boolean
  /** Columns of the index the first (driving) table is read through; empty for a full table scan. */
  usedKeyParts: string[]
  /** The main nested loop's rows, the share of them that match, and the rows of subqueries it materialises first (see rowsToFill). */
  loopRows: number
  matchShare: number
  materializedRows: number
}

/** One table entry of a plan, as MariaDB (rows, filtered) or MySQL (rows_examined_per_scan, "100.00") spell it. */
interface PlanTable {
  table_name?: string
  access_type?: string
  rows?: number
  rows_examined_per_scan?: number
  filtered?: number | string
  used_key_parts?: string[]
}

export async function explain(run: StatementRunner, sql: Statement, values: unknown[]): Promise<QueryPlan> {
  const rows = await run<Record<string, unknown>>(`EXPLAIN FORMAT=JSON ${sql}`, values)
  // MariaDB names the column EXPLAIN, MySQL EXPLAIN too; take the first column whatever its name.
  const text = rows.length === 0 ? '{}' : Object.values(rows[0])[0]
  return readPlan(JSON.parse(String(text)))
}

/**
 * The estimates of a parsed plan. The tables of the main nested loop multiply (a join reads the
 * next table once per row of the one before); a materialised subquery (MariaDB runs a to-many
 * filter's EXISTS as a semi-join it may materialise: `materialized`, MySQL's
 * `materialized_from_subquery`) is read whole once, so its rows add. Subqueries run per outer
 * row (`subqueries`) are left out: MariaDB turns most into index look-ups, and the outer tables
 * are what a missing index makes large. A plan with no table at all ("Impossible WHERE", a
 * constant row) reads nothing.
 */
export function readPlan(plan: unknown): QueryPlan {
  const tables: PlanTable[] = []
  let filesort = false
  let materializedRows = 0
  const walk = (node: unknown, key: string) => {
    if (node === null || typeof node !== 'object' || key === 'subqueries') return
    if (key === 'materialized' || key === 'materialized_from_subquery') {
      materializedRows += readPlan(node).scanRows
      return
    }
    const record = node as Record<string, unknown>
    if (key === 'filesort' || key === 'read_sorted_file' || key === 'temporary_table' || record.using_filesort === true || record.using_temporary_table === true) filesort = true
    if (key === 'table' && typeof record.table_name === 'string') tables.push(record as PlanTable)
    for (const [childKey, child] of Object.entries(record)) {
      if (Array.isArray(child)) for (const item of child) walk(item, childKey)
      else walk(child, childKey)
    }
  }
  walk(plan, '')
  let loopRows = tables.length === 0 ? 0 : 1
  let matchShare = 1
  for (const table of tables) {
    loopRows *= Number(table.rows ?? table.rows_examined_per_scan ?? 1)
    matchShare *= (table.filtered === undefined ? 100 : Number(table.filtered)) / 100
  }
  return {
    plan,
    scanRows: Math.round(loopRows + materializedRows),
    resultRows: Math.round(loopRows * matchShare),
    filesort,
    fullScan: tables.some((table) => table.access_type === 'ALL' || table.access_type === 'index'),
    usedKeyParts: tables[0]?.used_key_parts ?? [],
    loopRows,
    matchShare,
    materializedRows
  }
}

/**
 * Rows read to answer the first `wanted` rows. A plan without a sort streams rows in the ORDER
 * BY's order and stops once it has them — at the share of read rows that match, as `filtered`
 * says — so `authorId = ?` on an index read in key order costs a page, not every match (EXPLAIN's
 * `rows` counts every match of the range). A sorted plan reads everything before its first row.
 */
export function rowsToFill(estimate: QueryPlan, wanted: number): number {
  if (estimate.filesort) return estimate.scanRows
  const streamed = Math.min(estimate.loopRows, Math.ceil(wanted / Math.max(estimate.matchShare, 1e-6)))
  return Math.round(streamed + estimate.materializedRows)
}
