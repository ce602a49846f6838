import type { Pool, PoolConnection } from 'mysql2'
import type { PoolGuard } from './pool-guard'
import { isConnectionError, isRetryableRead, sqlTextOf } from './connection-errors'
import { BorrowerGoneError } from './pool-errors'
import type { BorrowTiming } from './borrow-timing'

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

  /**
   * One borrow, one statement, one release. A plain read that failed because its connection
   * died (a server restart, a KILL) runs once more on another connection, within the deadline
   * of the first borrow: the caller waits no longer than for one acquire. Nothing else is
   * retried (a write may have been applied; see isRetryableRead for reads that need the session).
   * A statement whose borrower went away meanwhile (PoolGuard.abandon killed it) fails with
   * BorrowerGoneError, the error of the layer that killed it, and is never retried.
   */
  private runOnce(method: 'query' | 'execute', sql: unknown, values: unknown, callback?: Callback): void {
    const done: Callback = typeof values === 'function' ? (values as Callback) : (callback ?? (() => {}))
    const args = typeof values === 'function' || values === undefined ? [sql] : [sql, values]
    const deadline = Date.now() + this.guard.settings.acquireTimeoutMs
    // Taken now, in the caller's turn: the retry below borrows from a callback, for the same caller.
    const timing = this.guard.timedBorrower
    const borrower = this.guard.currentBorrower
    this.borrowAndRun(method, args, deadline, timing, borrower, (err, result, fields, ran) => {
      if (ran && err && this.guard.isAbandoned(borrower)) return done(new BorrowerGoneError('running'))
      // A borrow that failed was already retried by the guard within the same deadline.
      if (!ran || !isConnectionError(err) || !isRetryableRead(sqlTextOf(sql)) || Date.now() >= deadline) {
        return done(err, result, fields)
      }
      this.guard.totals.readRetries++
      this.borrowAndRun(method, args, deadline, timing, borrower, (retryErr, retryResult, retryFields, retryRan) =>
        retryRan && retryErr && this.guard.isAbandoned(borrower) ? done(new BorrowerGoneError('running')) : done(retryErr, retryResult, retryFields)
      )
    })
  }

  /** `ran`: the statement reached a connection (so a failure is the statement's, not the borrow's). */
  private borrowAndRun(
    method: 'query' | 'execute',
    args: unknown[],
    deadline: number,
    timing: BorrowTiming | undefined,
    borrower: object | undefined,
    done: (err: unknown, result?: unknown, fields?: unknown, ran?: boolean) => void
  ): void {
    this.guard.acquire((err, connection) => {
      if (err || !connection) return done(err, undefined, undefined, false)
      const run = connection[method] as unknown as (...params: unknown[]) => void
      try {
        run.call(connection, ...args, (statementErr: unknown, result: unknown, fields: unknown) => {
          connection.release()
          done(statementErr, result, fields, true)
        })
      } catch (statementErr) {
        // mysql2 throws synchronously for unbindable values (e.g. undefined): no callback will
        // come, and the connection is still ours to give back (mysql2's own pool does the same).
        connection.release()
        done(statementErr)
      }
    }, deadline, timing, borrower)
  }
}
