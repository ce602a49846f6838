import mysql from 'mysql2/promise'
import { PrivateMariaDb } from './private-mariadb'

type Tap = { teardown(fn: () => unknown): void }

const REPLICATION_USER = 'lg_repl'
const REPLICATION_PASSWORD = 'lg-repl-secret'
const REPLICA_RUNNING_TIMEOUT_MS = 15_000

/** The replica's view of its replication, from `SHOW SLAVE STATUS` (the columns the harness reads). */
export interface ReplicaStatus {
  Slave_IO_Running: string
  Slave_SQL_Running: string
  /** NULL while the SQL thread is stopped — MariaDB does not report a lag it cannot compute. */
  Seconds_Behind_Master: number | null
  Last_IO_Error: string
  Last_SQL_Error: string
  Gtid_IO_Pos: string
  [column: string]: unknown
}

/**
 * A private primary and replica on loopback (issue 12): two PrivateMariaDb servers, each with
 * its own data directory and port and the same passwordless root account, the primary writing
 * a ROW binlog with strict GTIDs, the replica read-only and replicating from it by GTID
 * (`MASTER_USE_GTID=slave_pos`). Both are stopped and deleted in teardown (replica first).
 */
export class PrivateReplication {
  private constructor(
    readonly primary: PrivateMariaDb,
    readonly replica: PrivateMariaDb
  ) {}

  /** The replica connections holding a global read lock, released in stop(). */
  private readonly holds = new Set<mysql.Connection>()

  static async start(t: Tap, options: { primaryOptions?: string[]; replicaOptions?: string[] } = {}): Promise<PrivateReplication> {
    const [primary, replica] = await Promise.all([
      PrivateMariaDb.start(t, [
        '--server-id=1',
        '--log-bin=primary-bin',
        '--binlog-format=ROW',
        '--gtid-strict-mode=ON',
        '--log-slave-updates=ON',
        ...(options.primaryOptions ?? [])
      ]),
      PrivateMariaDb.start(t, [
        '--server-id=2',
        '--read-only=ON',
        '--relay-log=replica-relay-bin',
        ...(options.replicaOptions ?? [])
      ])
    ])
    const replication = new PrivateReplication(primary, replica)
    // Registered after the servers' own teardowns, so it runs before them (tap runs them last-in first).
    t.teardown(() => replication.stop())

    // The replication account is created in the binlog, so the replica gets it too, like any
    // other account made on the primary: the replica's users stay a copy of the primary's.
    await replication.onPrimary(async (primaryAdmin) => {
      await primaryAdmin.query(`CREATE USER '${REPLICATION_USER}'@'127.0.0.1' IDENTIFIED BY '${REPLICATION_PASSWORD}'`)
      await primaryAdmin.query(`GRANT REPLICATION SLAVE ON *.* TO '${REPLICATION_USER}'@'127.0.0.1'`)
    })
    // MASTER_CONNECT_RETRY=1: after the primary restarts, the replica reconnects within a
    // second (the default is 60 s). The settings persist in the replica's datadir
    // (master.info), so a restarted replica resumes replicating by itself.
    await replication.onReplica(async (replicaAdmin) => {
      await replicaAdmin.query(
        `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port}, MASTER_USER='${REPLICATION_USER}', ` +
          `MASTER_PASSWORD='${REPLICATION_PASSWORD}', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1`
      )
      await replicaAdmin.query('START SLAVE')
    })
    await replication.waitUntilRunning()
    return replication
  }

  /**
   * Runs `fn` on a fresh root connection to the primary, closed afterwards: the helpers keep
   * no connection open, so they work across pause/restart of either server and do not count
   * against a test's connection numbers between calls.
   */
  /**
   * The replica's URL for `database` as an ordinary account (SELECT, and SLAVE MONITOR for the
   * probe), made on the primary so it replicates like the data: root's READ ONLY ADMIN would let
   * a misrouted write through on the read-only replica, as docs/ops/scaling.md warns.
   */
  async replicaReaderUrl(database: string): Promise<string> {
    const reader = { user: 'lg_reader', password: 'lg-reader-secret' }
    await this.onPrimary(async (c) => {
      await c.query(`CREATE USER IF NOT EXISTS '${reader.user}'@'127.0.0.1' IDENTIFIED BY '${reader.password}'`)
      await c.query(`GRANT SELECT ON ${database}.* TO '${reader.user}'@'127.0.0.1'`)
      await c.query(`GRANT SLAVE MONITOR ON *.* TO '${reader.user}'@'127.0.0.1'`)
    })
    return `mariadb://${reader.user}:${reader.password}@127.0.0.1:${this.replica.port}/${database}`
  }

  async onPrimary<T>(fn: (connection: mysql.Connection) => Promise<T>): Promise<T> {
    return withConnection(await this.primary.admin(), fn)
  }

  async onReplica<T>(fn: (connection: mysql.Connection) => Promise<T>): Promise<T> {
    return withConnection(await this.replica.admin(), fn)
  }

  /** Polls `SHOW SLAVE STATUS` until both threads run; fails with the replica's last error otherwise. */
  async waitUntilRunning(timeoutMs = REPLICA_RUNNING_TIMEOUT_MS): Promise<ReplicaStatus> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const status = await this.replicaStatus()
      if (status.Slave_IO_Running === 'Yes' && status.Slave_SQL_Running === 'Yes') return status
      if (Date.now() > deadline) {
        throw new Error(
          `replica not running after ${timeoutMs} ms: IO ${status.Slave_IO_Running} (${status.Last_IO_Error || 'no error'}), ` +
            `SQL ${status.Slave_SQL_Running} (${status.Last_SQL_Error || 'no error'}); see ${this.replica.dataDir}/server.log`
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }

  async replicaStatus(): Promise<ReplicaStatus> {
    const [rows] = (await this.onReplica((c) => c.query('SHOW SLAVE STATUS'))) as unknown as [ReplicaStatus[]]
    if (rows.length === 0) throw new Error('the replica has no replication configured')
    return rows[0]
  }

  /** The primary's GTID position after its last commit (`@@gtid_binlog_pos`), e.g. `0-1-7`. */
  async primaryPosition(): Promise<string> {
    const [[row]] = (await this.onPrimary((c) => c.query('SELECT @@gtid_binlog_pos AS position'))) as unknown as [[{ position: string }]]
    return row.position
  }

  /**
   * `MASTER_GTID_WAIT(position, timeout)` on the replica: true once the replica has applied
   * `position`, false when `timeoutMs` passed first (the function's -1).
   */
  async waitForReplica(position: string, timeoutMs: number): Promise<boolean> {
    const [[row]] = (await this.onReplica((c) =>
      c.query('SELECT MASTER_GTID_WAIT(?, ?) AS result', [position, timeoutMs / 1000])
    )) as unknown as [[{ result: number }]]
    return Number(row.result) === 0
  }

  /** Stops applying events (the IO thread keeps fetching them): the replica falls behind. */
  async stopReplicaSql(): Promise<void> {
    await this.onReplica((c) => c.query('STOP SLAVE SQL_THREAD'))
  }

  async startReplicaSql(): Promise<void> {
    await this.onReplica((c) => c.query('START SLAVE SQL_THREAD'))
    await this.waitUntilRunning()
  }

  /**
   * Holds the replica's SQL thread on its next event without stopping it: a global read lock
   * (`FLUSH TABLES WITH READ LOCK`) on the replica, from a connection of its own. Unlike
   * stopReplicaSql(), Seconds_Behind_Master then grows (in whole seconds) while
   * Slave_SQL_Running stays Yes — what a replica busy with a long transaction looks like.
   * Returns the release (UNLOCK TABLES); stop() releases it too.
   */
  async holdReplicaApply(): Promise<() => Promise<void>> {
    const connection = await this.replica.admin()
    this.holds.add(connection)
    await connection.query('FLUSH TABLES WITH READ LOCK')
    return async () => {
      if (!this.holds.delete(connection)) return
      await connection.query('UNLOCK TABLES').catch(() => {})
      await connection.end().catch(() => {})
    }
  }

  /**
   * `Seconds_Behind_Master`: null while the SQL thread is stopped (MariaDB reports NULL then,
   * not a growing number); 0 when caught up; grows while the SQL thread is stuck on an event.
   */
  async replicaLagSeconds(): Promise<number | null> {
    const lag = (await this.replicaStatus()).Seconds_Behind_Master
    return lag === null ? null : Number(lag)
  }

  /**
   * Stops both servers, replica first (so its IO thread does not retry a vanished primary);
   * data directories go in the servers' own teardown. No STOP SLAVE: the server's shutdown
   * stops its replication threads, and a paused replica would not answer one.
   */
  async stop(): Promise<void> {
    for (const connection of this.holds) connection.destroy()
    this.holds.clear()
    await this.replica.stop()
    await this.primary.stop()
  }
}

async function withConnection<T>(connection: mysql.Connection, fn: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  try {
    return await fn(connection)
  } finally {
    await connection.end().catch(() => connection.destroy())
  }
}
