import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { DataSource, type EntitySchema, type MixedList } from 'typeorm'
import type { Config } from '../config'
import { dataSourceOptions, replicaTargets } from './data-source-options'
import { PoolGuard } from '../pool/pool-guard'
import { guardSettingsFromConfig } from '../pool/guard-settings'
import { replicatedDriver } from '../pool/guarded-cluster'
import { replicaHealthSettings, type ReplicaHealth } from '../pool/replica-health'

/** One database node as /metrics and client aborts see it: the primary first, then each replica. */
export interface DbNode {
  /** The `node` label: 'primary', or a replica's host:port. */
  name: string
  guard: PoolGuard
  /** Replicas only: whether it gets reads, and its lag. */
  health?: ReplicaHealth
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The one DataSource of this app; its pool is shared by every plugin and route. */
    db: DataSource
    /** The guard around the primary's pool: stats() for health and metrics, events for histograms. */
    poolGuard: PoolGuard
    /** Every node's guard, the primary's (app.poolGuard) first; more than one with DATABASE_REPLICA_URLS. */
    dbNodes: readonly DbNode[]
  }
}

export interface DbPluginOptions {
  config: Config
  entities?: MixedList<Function | string | EntitySchema>
  /** TypeORM subscriber classes; the REST routes give them entity and query events too. */
  subscribers?: Function[]
}

/**
 * Creates the app's pool guards and DataSource from config, shares them as `app.poolGuard`
 * (and `app.dbNodes`) and `app.db`, and destroys the DataSource (so the pools) on close. The
 * guards are per app: tests build many apps in one process. With DATABASE_REPLICA_URLS, each
 * replica gets a guard of its own with the same settings, and TypeORM's replication runs on a
 * cluster of those guarded pools (src/pool/guarded-cluster.ts); without, nothing of that exists.
 */
async function dbPlugin(app: FastifyInstance, { config, entities, subscribers }: DbPluginOptions) {
  if (app.hasDecorator('db')) throw new Error('the db plugin is registered twice')
  const settings = guardSettingsFromConfig(config)
  const poolLog = app.log.child({ component: 'pool' })
  const poolGuard = new PoolGuard(settings, poolLog)
  const replicas = replicaTargets(config)
  const replicaGuards = replicas.map(({ host, port }) => {
    const name = `${host}:${port}`
    return { name, guard: new PoolGuard(settings, poolLog.child({ node: name })) }
  })
  const replicated = replicas.length
    ? replicatedDriver({
        primary: poolGuard,
        replicas: replicaGuards,
        health: replicaHealthSettings(config.DB_REPLICA_MAX_LAG_MS),
        logger: poolLog,
        positionWaitMs: config.DB_REPLICA_WAIT_MS
      })
    : undefined
  const driver = replicated ?? poolGuard.driver()
  const dataSource = new DataSource(dataSourceOptions(config, { entities, subscribers, driver, replicas }))
  try {
    await dataSource.initialize()
  } catch (err) {
    // TypeORM leaves a cluster open when connecting fails after it was made: its probes would hold the process.
    replicated?.cluster()?.end()
    throw err
  }
  app.addHook('onClose', async () => {
    await dataSource.destroy()
  })
  const replicaNodes = (replicated?.cluster()?.replicas ?? []).map((node, index) => ({ name: node.name, guard: replicaGuards[index].guard, health: node.health }))
  app.decorate('db', dataSource)
  app.decorate('poolGuard', poolGuard)
  app.decorate('dbNodes', [{ name: 'primary', guard: poolGuard }, ...replicaNodes])
}

export default fp(dbPlugin, { name: 'lifeguard-db', fastify: '5.x' })
