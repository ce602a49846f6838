import mysql, { type Connection, type ConnectionOptions, type PoolOptions } from 'mysql2'

/** The pool's options for a connection of its own; what only a pool understands is left out (mysql2 warns about it otherwise). */
export function connectionOptionsOf(poolOptions: PoolOptions): ConnectionOptions {
  const { connectionLimit, maxIdle, idleTimeout, queueLimit, waitForConnections, ...connectionOptions } = poolOptions as PoolOptions & Record<string, unknown>
  void [connectionLimit, maxIdle, idleTimeout, queueLimit, waitForConnections]
  return connectionOptions
}

/** What one readiness check found. */
export interface Reachability {
  reachable: boolean
  /** Round trip of the ping (or how long it waited before giving up). */
  elapsedMs: number
  /** Why not, when unreachable: a driver code or 'timeout'. */
  reason?: string
}

/**
 * One connection of its own for readiness checks, outside the pool: a check must not wait
 * behind a saturated pool (it would report a healthy database as unreachable at peak load and
 * get a load balancer to pull the instance), nor take a pooled connection's place, nor destroy
 * a healthy pooled connection when its borrow arrived late. It is opened on the first check,
 * reused while it answers, and dropped and reopened after any failure or timeout, so the check
 * recovers by itself once the server does.
 */
export class HealthConnection {
  private connection?: Connection
  private closed = false
  /** Whether the server is a Galera node (clusterReadiness); unknown until asked on a connection. */
  private galera: boolean | undefined

  private readonly options: ConnectionOptions

  constructor(poolOptions: PoolOptions) {
    this.options = connectionOptionsOf(poolOptions)
  }

  check(timeoutMs: number): Promise<Reachability> {
    const startedAt = Date.now()
    return new Promise((resolve) => {
      let settled = false
      const finish = (reachable: boolean, reason?: string) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        if (!reachable) this.drop()
        resolve({ reachable, elapsedMs: Date.now() - startedAt, reason })
      }
      const timer = setTimeout(() => finish(false, 'timeout'), Math.max(1, timeoutMs))
      if (this.closed) return finish(false, 'closed')
      const connection = this.open(timeoutMs)
      connection.ping((err) => {
        if (err) return finish(false, codeOf(err))
        this.clusterReadiness(connection, (reason) => finish(reason === undefined, reason))
      })
    })
  }

  /**
   * A Galera node cut off from its cluster (no quorum) still answers a ping and `SELECT 1`, but
   * refuses every statement on a table (1047) until it rejoins: on such a node, readiness is
   * `wsrep_ready`. Whether the server is one is asked once per connection (`wsrep_on`: OFF on a
   * MariaDB without Galera; MySQL has no such variable), so a plain server costs one query per
   * reconnect, not per check.
   */
  private clusterReadiness(connection: Connection, done: (reason?: string) => void): void {
    if (this.galera === false) return done()
    if (this.galera === undefined) {
      // SHOW, not SELECT: a check must not count as a read (Com_select) on the server.
      connection.query("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'", (err, rows) => {
        // Unknown after a failure: the next check asks again rather than going blind to quorum.
        if (err) return done(codeOf(err))
        this.galera = (rows as Array<{ Value: string }>)[0]?.Value === 'ON'
        this.clusterReadiness(connection, done)
      })
      return
    }
    connection.query("SHOW GLOBAL STATUS LIKE 'wsrep_ready'", (err, rows) => {
      if (err) return done(codeOf(err))
      done((rows as Array<{ Value: string }>)[0]?.Value === 'ON' ? undefined : 'wsrep_not_ready')
    })
  }

  close(): void {
    this.closed = true
    this.drop()
  }

  private open(timeoutMs: number): Connection {
    if (!this.connection) {
      const connection = mysql.createConnection({ ...this.options, connectTimeout: Math.max(1, timeoutMs) })
      // A dead socket reports here; the next check opens a new connection.
      connection.on('error', () => {
        if (this.connection === connection) this.connection = undefined
      })
      this.connection = connection
    }
    return this.connection
  }

  private drop(): void {
    const connection = this.connection
    this.connection = undefined
    this.galera = undefined
    connection?.destroy()
  }
}

function codeOf(err: unknown): string {
  return String((err as { code?: string }).code ?? 'ERROR')
}
