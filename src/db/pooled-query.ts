import type { DataSource } from 'typeorm'
import type { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver'

/**
 * The fast read path: run one prepared statement on a connection borrowed from the pool
 * TypeORM created (wrapped by the pool guard, so its acquire deadline, validation, metrics
 * and retries still apply) and give the connection back. It skips TypeORM's QueryRunner,
 * which costs a noticeable share of a one-row request (see DESIGN.md "Performance facts").
 * Only mysql2's Pool/PoolConnection surface is used: getConnection(cb), execute, release.
 */
export interface BorrowedConnection {
  execute(sql: string, values: unknown[], callback: (err: Error | null, rows: unknown) => void): unknown
  release(): void
}

export interface ConnectionLender {
  getConnection(callback: (err: Error | null, connection: BorrowedConnection) => void): void
}

/** The pool behind an initialised DataSource: it lives as long as the DataSource, so resolve it once. */
export function poolOf(dataSource: DataSource): ConnectionLender {
  const pool = (dataSource.driver as MysqlDriver).pool as ConnectionLender | undefined
  if (!pool) throw new Error('the DataSource has no connection pool (not initialised, or a replication setup)')
  return pool
}

/**
 * Borrows a connection, executes `sql` with bound `values` as a prepared statement,
 * and releases the connection exactly once, whatever happens. Resolves to the rows.
 */
export function executePooled<Row>(pool: ConnectionLender, sql: string, values: unknown[]): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    pool.getConnection((acquireError, connection) => {
      if (acquireError) {
        reject(acquireError)
        return
      }
      let released = false
      const releaseOnce = () => {
        if (released) return
        released = true
        connection.release()
      }
      try {
        connection.execute(sql, values, (queryError, rows) => {
          releaseOnce()
          if (queryError) reject(queryError)
          else resolve(rows as Row[])
        })
      } catch (err) {
        // mysql2 throws synchronously for unbindable values (e.g. undefined); the connection is still ours.
        releaseOnce()
        reject(err)
      }
    })
  })
}
