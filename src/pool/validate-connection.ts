import type { PoolConnection } from 'mysql2'

/**
 * Pings a connection; answers true only when the server replies within `timeoutMs`. A frozen
 * server (SIGSTOP, dead network) never replies, so the timer is what keeps a borrow bounded.
 */
export function pingWithin(connection: PoolConnection, timeoutMs: number, done: (alive: boolean) => void): void {
  let settled = false
  const finish = (alive: boolean) => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    done(alive)
  }
  const timer = setTimeout(() => finish(false), Math.max(1, timeoutMs))
  try {
    connection.ping((err) => finish(!err))
  } catch {
    finish(false)
  }
}

/** The statement that makes the server itself stop a runaway query, for the server's flavour. */
export function statementTimeoutSql(statementTimeoutMs: number, mariaDb: boolean): string {
  return mariaDb
    ? `SET SESSION max_statement_time = ${statementTimeoutMs / 1000}` // seconds, fractional
    : `SET SESSION max_execution_time = ${Math.round(statementTimeoutMs)}` // milliseconds, SELECT only
}
