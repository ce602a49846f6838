import { measureSlowQuerySeconds, prepareBenchDatabase, type SeedSize } from './bench-database'
import type { Progress } from './measure'
import { onServer, ReplicaServers } from './replica-servers'
import { LIFEGUARD } from './scenarios'
import type { ServerSpec } from './server-process'

/** The replica-reads scenario's reference: the same Lifeguard on the private primary, no replicas. */
export const LIFEGUARD_PRIMARY_ONLY = 'lifeguard-primary-only'
export const REPLICA_COUNT = 2

const DATABASE = 'lifeguard_bench'
const SLOW_BOOKS_SERVER = 'bench/servers/lifeguard-with-slow-books.ts'
/** Replicas are read as an ordinary account, as docs/ops/scaling.md asks (root's READ ONLY ADMIN would hide a misrouted write). */
const READER = { user: 'lg_reader', password: 'lg-reader-secret' }
const CATCH_UP_TIMEOUT_MS = 60_000

/** Servers a scenario starts for itself, and how to stop them after its rounds. */
export interface ScenarioSetup {
  servers: ServerSpec[]
  stop(): Promise<void>
}

/**
 * A private primary and two replicas (bench/replica-servers.ts), the bench database made and
 * seeded on the primary (the slow_books view included) so the replicas get it by replication,
 * then two Lifeguards with the same DB_POOL_SIZE per node: one with DATABASE_REPLICA_URLS set
 * to both replicas, one on the primary alone. Both servers read the same primary, with the same
 * server options, so only the replicas differ.
 */
export async function startReplicaReads(seed: SeedSize, poolSize: number, progress: Progress): Promise<ScenarioSetup> {
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
    return {
      servers: [
        { name: LIFEGUARD, entry: SLOW_BOOKS_SERVER, env: { ...env, DATABASE_REPLICA_URLS: replicaUrls.join(',') } },
        { name: LIFEGUARD_PRIMARY_ONLY, entry: SLOW_BOOKS_SERVER, env }
      ],
      stop: () => servers.stop()
    }
  } catch (err) {
    await servers.stop()
    throw err
  }
}
