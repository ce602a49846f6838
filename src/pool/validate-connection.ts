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
