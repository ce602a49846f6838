import { measureSlowQuerySeconds, prepareBenchDatabase, type SeedSize } from './bench-database'
import type { Progress } from './measure'
import { onServer, ReplicaServers } from './replica-servers'
import { LIFEGUARD } from './scenarios'
import type { ServerSpec } from './server-process'
import type { RequestPlan } from './load'
import type { ServerLoad } from './scenarios'

/** The replica-reads scenario's reference: the same Lifeguard on the private primary, no replicas. */
export const LIFEGUARD_PRIMARY_ONLY = 'lifeguard-primary-only'
/** The replica-position scenario's reference: the same Lifeguard with the same replicas, reads without a position. */
export const LIFEGUARD_NO_POSITION = 'lifeguard-no-position'
export const REPLICA_COUNT = 2

const DATABASE = 'lifeguard_bench'
const SLOW_BOOKS_SERVER = 'bench/servers/lifeguard-with-slow-books.ts'
/** Replicas are read as an ordinary account, as docs/ops/scaling.md asks (root's READ ONLY ADMIN would hide a misrouted write). */
const READER = { user: 'lg_reader', password: 'lg-reader-secret' }
const CATCH_UP_TIMEOUT_MS = 60_000

/** Servers a scenario starts for itself, and how to stop them after its rounds. */
export interface ScenarioSetup {
  servers: ServerSpec[]
  /** Requests of their own per server, made once the servers exist (a position read from them). */
  perServer?: Record<string, ServerLoad>
  stop(): Promise<void>
}

/**
 * Which servers a replica scenario measures: `replica-reads` compares the replicas with the
 * primary alone; `replica-position` compares reads that carry a caught-up Lifeguard-Position
 * (read-your-writes, served by a replica known to have it) with the same reads without one.
 */
export type ReplicaComparison = { kind: 'replica-reads' } | { kind: 'replica-position'; reads: (headers: Record<string, string>) => RequestPlan[] }

/**
 * A private primary and two replicas (bench/replica-servers.ts), the bench database made and
 * seeded on the primary (the slow_books view included) so the replicas get it by replication,
 * then two Lifeguards with the same DB_POOL_SIZE per node: one with DATABASE_REPLICA_URLS set
 * to both replicas, one on the primary alone. Both servers read the same primary, with the same
 * server options, so only the replicas differ.
 */
export async function startReplicaReads(
  seed: SeedSize,
  poolSize: number,
  progress: Progress,
  comparison: ReplicaComparison = { kind: 'replica-reads' }
): Promise<ScenarioSetup> {
  progress(`replica-reads: starting a private primary and ${REPLICA_COUNT} replicas`)
  const servers = await ReplicaServers.start(REPLICA_COUNT)
  try {
    const databaseUrl = `${servers.primary.url}/${DATABASE}`
    await prepareBenchDatabase(databaseUrl, seed)
    await onServer(servers.primary, async (c) => {
      await c.query(`CREATE USER IF NOT EXISTS '${READER.user}'@'127.0.0.1' IDENTIFIED BY '${READER.password}'`)
      await c.query(`GRANT SELECT ON ${DATABASE}.* TO '${READER.user}'@'127.0.0.1'`)
      await c.query(`GRANT SLAVE MONITOR ON *.* TO '${READER.user}'@'127.0.0.1'`)
    })
    await servers.waitUntilCaughtUp(CATCH_UP_TIMEOUT_MS)
    const costs = await Promise.all(
      [servers.primary, ...servers.replicas].map((server) => measureSlowQuerySeconds(`${server.url}/${DATABASE}`))
    )
    progress(`replica-reads: one slow read on one connection: ${costs.map((s) => (s * 1000).toFixed(2)).join(', ')} ms (primary, replicas)`)
    const replicaUrls = servers.replicas.map((r) => `mariadb://${READER.user}:${READER.password}@127.0.0.1:${r.port}/${DATABASE}`)
    const env = { DATABASE_URL: databaseUrl, DB_POOL_SIZE: String(poolSize) }
    const withReplicas = { ...env, DATABASE_REPLICA_URLS: replicaUrls.join(',') }
    if (comparison.kind === 'replica-position') {
      // Every replica has applied it (waitUntilCaughtUp): each read is served as a caught-up one.
      const [[{ position }]] = (await onServer(servers.primary, (c) => c.query('SELECT @@gtid_binlog_pos AS position'))) as any
      progress(`replica-position: reads carry Lifeguard-Position ${position}`)
      return {
        servers: [
          { name: LIFEGUARD, entry: SLOW_BOOKS_SERVER, env: withReplicas },
          { name: LIFEGUARD_NO_POSITION, entry: SLOW_BOOKS_SERVER, env: withReplicas }
        ],
        perServer: {
          [LIFEGUARD]: { requests: comparison.reads({ 'lifeguard-position': String(position) }), rowsPerRequest: 1 },
          [LIFEGUARD_NO_POSITION]: { requests: comparison.reads({}), rowsPerRequest: 1 }
        },
        stop: () => servers.stop()
      }
    }
    return {
      servers: [
        { name: LIFEGUARD, entry: SLOW_BOOKS_SERVER, env: withReplicas },
        { name: LIFEGUARD_PRIMARY_ONLY, entry: SLOW_BOOKS_SERVER, env }
      ],
      stop: () => servers.stop()
    }
  } catch (err) {
    await servers.stop()
    throw err
  }
}
