import mysql from 'mysql2/promise'
import { PrivateMariaDb } from '../test/faults/private-mariadb'

/**
 * A private GTID primary and `count` replicas for the replica-reads scenario (issue 12's bench).
 *
 * Why not test/faults/private-replication.ts: PrivateReplication is one primary and exactly one
 * replica (private constructor, no helper exported), and another change is under way there. So
 * this composes PrivateMariaDb the same way and copies only the replication set-up: the primary's
 * ROW binlog with strict GTIDs, read-only replicas replicating by GTID (`MASTER_USE_GTID=slave_pos`),
 * the replication account made on the primary so it replicates. Keep the two in step.
 */

const REPLICATION_USER = 'lg_repl'
const REPLICATION_PASSWORD = 'lg-repl-secret'
const RUNNING_TIMEOUT_MS = 15_000

/** What PrivateMariaDb.start wants of a tap test: teardowns, run here last-in first-out. */
class Teardowns {
  private readonly steps: Array<() => unknown> = []
  teardown(fn: () => unknown): void {
    this.steps.push(fn)
  }
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step()
  }
}

export class ReplicaServers {
  private constructor(
    readonly primary: PrivateMariaDb,
    readonly replicas: PrivateMariaDb[],
    private readonly teardowns: Teardowns
  ) {}

  static async start(count: number): Promise<ReplicaServers> {
    const teardowns = new Teardowns()
    try {
      const [primary, ...replicas] = await Promise.all([
        PrivateMariaDb.start(teardowns, ['--server-id=1', '--log-bin=primary-bin', '--binlog-format=ROW', '--gtid-strict-mode=ON', '--log-slave-updates=ON']),
        ...Array.from({ length: count }, (_, i) =>
          PrivateMariaDb.start(teardowns, [`--server-id=${i + 2}`, '--read-only=ON', '--relay-log=replica-relay-bin'])
        )
      ])
      const servers = new ReplicaServers(primary, replicas, teardowns)
      await onServer(primary, async (c) => {
        await c.query(`CREATE USER '${REPLICATION_USER}'@'127.0.0.1' IDENTIFIED BY '${REPLICATION_PASSWORD}'`)
        await c.query(`GRANT REPLICATION SLAVE ON *.* TO '${REPLICATION_USER}'@'127.0.0.1'`)
      })
      for (const replica of replicas) {
        await onServer(replica, async (c) => {
          await c.query(
            `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port}, MASTER_USER='${REPLICATION_USER}', ` +
              `MASTER_PASSWORD='${REPLICATION_PASSWORD}', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1`
          )
          await c.query('START SLAVE')
        })
      }
      await servers.waitUntilCaughtUp(RUNNING_TIMEOUT_MS)
      return servers
    } catch (err) {
      await teardowns.run()
      throw err
    }
  }

  /** Every replica has applied what the primary has committed so far (MASTER_GTID_WAIT), or throws. */
  async waitUntilCaughtUp(timeoutMs: number): Promise<void> {
    const [[{ position }]] = (await onServer(this.primary, (c) => c.query('SELECT @@gtid_binlog_pos AS position'))) as any
    for (const replica of this.replicas) {
      const [[{ result }]] = (await onServer(replica, (c) =>
        c.query('SELECT MASTER_GTID_WAIT(?, ?) AS result', [position, timeoutMs / 1000])
      )) as any
      if (Number(result) !== 0) {
        const [[status]] = (await onServer(replica, (c) => c.query('SHOW SLAVE STATUS'))) as any
        throw new Error(
          `replica on port ${replica.port} did not reach ${position} within ${timeoutMs} ms: IO ${status?.Slave_IO_Running} ` +
            `(${status?.Last_IO_Error || 'no error'}), SQL ${status?.Slave_SQL_Running} (${status?.Last_SQL_Error || 'no error'}); ` +
            `see ${replica.dataDir}/server.log`
        )
      }
    }
  }

  /** Stops the replicas, then the primary (so no replica retries a vanished primary), then deletes the data. */
  async stop(): Promise<void> {
    for (const replica of this.replicas) await replica.stop()
    await this.primary.stop()
    await this.teardowns.run()
  }
}

/** A fresh root connection for `fn`, closed afterwards. */
export async function onServer<T>(server: PrivateMariaDb, fn: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await server.admin()
  try {
    return await fn(connection)
  } finally {
    await connection.end().catch(() => connection.destroy())
  }
}
