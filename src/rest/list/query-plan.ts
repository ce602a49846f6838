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
  /** The rows are sorted after they are read (no index gives the ORDER BY). */
  filesort: boolean
  /** Some table is read in full order rather than looked up: access type ALL (the table) or index (an index, which a LIMIT may cut short: scanRows says how far). */
  fullScan: boolean
  /** Columns of the index the first (driving) table is read through; empty for a full table scan. */
  usedKeyParts: string[]
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
 * The estimates of a parsed plan. Subqueries (a to-many filter's EXISTS) are left out of the
 * products: the optimiser estimates them per outer row and MariaDB often turns them into index
 * look-ups; the outer tables are what a missing index makes large. A plan with no table at all
 * ("Impossible WHERE", a constant row) reads nothing.
 */
export function readPlan(plan: unknown): QueryPlan {
  const tables: PlanTable[] = []
  let filesort = false
  const walk = (node: unknown, key: string) => {
    if (node === null || typeof node !== 'object') return
    if (key === 'subqueries') return
    if (key === 'filesort' || key === 'read_sorted_file') filesort = true
    const record = node as Record<string, unknown>
    if (record.using_filesort === true) filesort = true
    if (key === 'table' && typeof record.table_name === 'string') tables.push(record as PlanTable)
    for (const [childKey, child] of Object.entries(record)) {
      if (Array.isArray(child)) for (const item of child) walk(item, childKey)
      else walk(child, childKey)
    }
  }
  walk(plan, '')
  let scanRows = tables.length === 0 ? 0 : 1
  let resultRows = scanRows
  for (const table of tables) {
    const rows = Number(table.rows ?? table.rows_examined_per_scan ?? 1)
    const filtered = table.filtered === undefined ? 100 : Number(table.filtered)
    scanRows *= rows
    resultRows *= (rows * filtered) / 100
  }
  return {
    plan,
    scanRows: Math.round(scanRows),
    resultRows: Math.round(resultRows),
    filesort,
    fullScan: tables.some((table) => table.access_type === 'ALL' || table.access_type === 'index'),
    usedKeyParts: tables[0]?.used_key_parts ?? []
  }
}
