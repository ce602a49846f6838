import type { DataSource } from 'typeorm'
import type { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver'

/**
 * The fast read path: run one prepared statement on a connection borrowed from the pool
 * TypeORM created (wrapped by the pool guard, so its acquire deadline, validation, metrics
 * and retries still apply) and give the connection back. It skips TypeORM's QueryRunner,
 * which costs a noticeable share of a one-row request (see DESIGN.md "Performance facts").
 * Only mysql2's Pool surface is used: `execute(sql, values, cb)`, which borrows, runs and
 * releases exactly once (src/pool/guarded-pool.ts).
 */
export interface ConnectionLender {
  execute(sql: string, values: unknown[], callback: (err: unknown, rows?: unknown) => void): void
}

/** The pool behind an initialised DataSource: it lives as long as the DataSource, so resolve it once. */
export function poolOf(dataSource: DataSource): ConnectionLender {
  const pool = (dataSource.driver as MysqlDriver).pool as ConnectionLender | undefined
  if (!pool) throw new Error('the DataSource has no connection pool (not initialised, or a replication setup)')
  return pool
}

/** Executes `sql` with bound `values` as a prepared statement on a pooled connection; resolves to the rows. */
export function executePooled<Row>(pool: ConnectionLender, sql: string, values: unknown[]): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    pool.execute(sql, values, (err, rows) => (err ? reject(err) : resolve(rows as Row[])))
  })
}
