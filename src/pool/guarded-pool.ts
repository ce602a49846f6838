import type { Pool, PoolConnection } from 'mysql2'
import type { PoolGuard } from './pool-guard'

type Callback = (err: unknown, result?: unknown, fields?: unknown) => void

/**
 * What TypeORM stores as `driver.pool`: mysql2's callback Pool interface, with every borrow
 * going through the guard. Code that borrows directly (`pool.getConnection(cb)`, then
 * `connection.execute(...)` and `connection.release()`) gets every guard rule too.
 */
export class GuardedPool {
  constructor(
    readonly guard: PoolGuard,
    private readonly inner: Pool
  ) {}

  get config() {
    return this.inner.config
  }

  getConnection(callback: (err: Error | null, connection?: PoolConnection) => void): void {
    this.guard.acquire(callback)
  }

  end(callback?: (err?: Error | null) => void): void {
    this.guard.end(callback ?? (() => {}))
  }

  /** Borrow, run one statement, give back: mysql2's pool.query(sql, [values], cb). */
  query(sql: unknown, values: unknown, callback?: Callback): void {
    this.runOnce('query', sql, values, callback)
  }

  execute(sql: unknown, values: unknown, callback?: Callback): void {
    this.runOnce('execute', sql, values, callback)
  }

  escape(value: unknown): string {
    return this.inner.escape(value)
  }

  escapeId(value: string): string {
    return this.inner.escapeId(value)
  }

  format(sql: string, values?: unknown): string {
    return this.inner.format(sql, values as never)
  }

  private runOnce(method: 'query' | 'execute', sql: unknown, values: unknown, callback?: Callback): void {
    const done: Callback = typeof values === 'function' ? (values as Callback) : (callback ?? (() => {}))
    const args = typeof values === 'function' || values === undefined ? [sql] : [sql, values]
    this.guard.acquire((err, connection) => {
      if (err || !connection) return done(err)
      const run = connection[method] as unknown as (...params: unknown[]) => void
      try {
        run.call(connection, ...args, (statementErr: unknown, result: unknown, fields: unknown) => {
          connection.release()
          done(statementErr, result, fields)
        })
      } catch (statementErr) {
        // mysql2 throws synchronously for unbindable values (e.g. undefined): no callback will
        // come, and the connection is still ours to give back (mysql2's own pool does the same).
        connection.release()
        done(statementErr)
      }
    })
  }
}
