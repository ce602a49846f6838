import type { PoolConnection } from 'mysql2'
import type { ConnectionState, RunningStatement } from './connection-state'

export type StatementMethodName = 'query' | 'execute'
export type StatementCallback = (err: unknown, result?: unknown, fields?: unknown) => void

/** What the guard does around every statement a connection runs. */
export interface StatementHooks {
  afterStatement(connection: PoolConnection, state: ConnectionState, err: unknown, result: unknown): void
}

/**
 * Wraps a pooled connection's query() and execute() in place, so every caller — TypeORM's
 * QueryRunner (through `connection.promise()`) and the hand-written fast path alike — gets
 * transaction tracking, error accounting and the statement deadline (statement-deadline.ts enforces it). A statement on a borrowed connection is never
 * retried elsewhere: its caller may depend on the session (a transaction, GET_LOCK, a
 * temporary table, @variables); only GuardedPool's one-shot statements are (guarded-pool.ts).
 * Calls without a callback (event-emitter style) pass through untouched.
 */
export function instrumentConnection(connection: PoolConnection, state: ConnectionState, hooks: StatementHooks): void {
  shareOnePromiseWrapper(connection)
  for (const method of ['query', 'execute'] as const) {
    ;(connection as unknown as Record<string, unknown>)[method] = function guardedStatement(...args: unknown[]) {
      const callback = args[args.length - 1]
      if (typeof callback !== 'function') return state.originals[method].apply(connection, args)
      let answered = false
      // Read once: the connection may be released (and its timing cleared) before the answer.
      const timing = state.timing
      const sentAt = timing === undefined ? 0 : performance.now()
      const running: RunningStatement = {
        startedAt: Date.now(),
        fail: (err) => {
          if (answered) return
          answered = true
          state.running = undefined
          if (timing !== undefined) timing.statementMs += performance.now() - sentAt
          ;(callback as StatementCallback)(err)
        }
      }
      state.running = running
      try {
        return state.originals[method].call(connection, ...args.slice(0, -1), (err: unknown, result: unknown, fields: unknown) => {
          if (answered) return // the deadline answered already; the connection is gone
          answered = true
          if (state.running === running) state.running = undefined
          if (timing !== undefined) timing.statementMs += performance.now() - sentAt
          hooks.afterStatement(connection, state, err, result)
          ;(callback as StatementCallback)(err, result, fields)
        })
      } catch (err) {
        // mysql2 throws for values it cannot bind: no statement was sent, none is running.
        answered = true
        state.running = undefined
        throw err
      }
    }
  }
}

/**
 * mysql2's promise() require()s its wrapper module and builds a new wrapper on every call,
 * and TypeORM calls it for every statement: ~5% of the CPU of POST /orders in bench profiles.
 * The wrapper keeps nothing but the connection, so one per connection serves every call.
 */
function shareOnePromiseWrapper(connection: PoolConnection): void {
  const makeWrapper = connection.promise.bind(connection)
  let shared: ReturnType<PoolConnection['promise']> | undefined
  connection.promise = (promiseImpl?: PromiseConstructor) =>
    promiseImpl ? makeWrapper(promiseImpl) : (shared ??= makeWrapper())
}
