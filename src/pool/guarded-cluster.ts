import mysql, { type PoolConnection, type PoolOptions } from 'mysql2'
import type { GuardedPool } from './guarded-pool'
import type { PoolGuard } from './pool-guard'
import { ReadRouter, type ReplicaNode } from './read-router'
import { ReplicaHealth, type HealthLogger, type ReplicaHealthSettings } from './replica-health'

type ConnectionCallback = (err: Error | null, connection?: PoolConnection) => void

/** One replica's guard, made by the db plugin from config before TypeORM connects. */
export interface ReplicaGuard {
  name: string
  guard: PoolGuard
}

export interface ClusterOptions {
  primary: PoolGuard
  /** In DATABASE_REPLICA_URLS order, as TypeORM adds them ('SLAVE0', 'SLAVE1', ...). */
  replicas: readonly ReplicaGuard[]
  health: ReplicaHealthSettings
  logger: HealthLogger
  /** DB_REPLICA_WAIT_MS: how long a read with a position waits for a replica (read-router.ts). */
  positionWaitMs?: number
}

/** What PoolGuard.driver()'s createPoolCluster does: one guard cannot guard several nodes. */
export function replicationRefused(): never {
  throw new Error('replication needs a guard per node: pass replicatedDriver() (src/pool/guarded-cluster.ts) as the driver')
}

/**
 * The mysql2-compatible module for TypeORM's `driver` option when replicas are configured:
 * `createPoolCluster` gives TypeORM a GuardedPoolCluster, whose every node is a pool of its
 * own guard. (Without replicas the db plugin passes PoolGuard.driver(), and nothing here runs.)
 */
export function replicatedDriver(options: ClusterOptions): typeof mysql & { cluster(): GuardedPoolCluster | undefined } {
  let made: GuardedPoolCluster | undefined
  const primaryDriver = options.primary.driver()
  return Object.assign(Object.create(primaryDriver), {
    createPoolCluster: () => {
      if (made) throw new Error('one replicated driver makes one cluster; build one per DataSource')
      return (made = new GuardedPoolCluster(options))
    },
    cluster: () => made
  })
}

/**
 * What TypeORM stores as `driver.poolCluster`, with the part of mysql2's PoolCluster it uses
 * (MysqlDriver: add, getConnection('MASTER' | 'SLAVE*', cb), end): 'MASTER' borrows from the
 * primary's guarded pool, 'SLAVE*' from the node the ReadRouter picks. mysql2's own cluster
 * is not used: it removes a failing node for good (or after a fixed timeout) and knows no lag.
 */
export class GuardedPoolCluster {
  private primaryPool?: GuardedPool
  private readonly replicaNodes: ReplicaNode[] = []
  private routerMade?: ReadRouter

  constructor(private readonly options: ClusterOptions) {}

  add(id: string, poolOptions: PoolOptions): void {
    if (id === 'MASTER') {
      this.primaryPool = this.options.primary.driver().createPool(poolOptions) as unknown as GuardedPool
      return
    }
    const index = Number(/^SLAVE(\d+)$/.exec(id)?.[1])
    const replica = this.options.replicas[index]
    if (!replica) throw new Error(`unknown cluster node ${id}: TypeORM's replication.slaves and DATABASE_REPLICA_URLS differ`)
    const pool = replica.guard.driver().createPool(poolOptions) as unknown as GuardedPool
    const primary = this.options.primary
    const health = new ReplicaHealth(replica.name, poolOptions, this.options.health, this.options.logger, async () =>
      (await primary.checkReachable(this.options.health.probeTimeoutMs)).reachable
    )
    this.replicaNodes[index] = { name: replica.name, pool, health }
    health.start()
  }

  /** The primary's pool: writes, transactions, migrations. */
  get primary(): GuardedPool {
    if (!this.primaryPool) throw new Error('the cluster has no MASTER node yet')
    return this.primaryPool
  }

  /** The read routing over the replicas, for the fast path and 'SLAVE*'. */
  get router(): ReadRouter {
    return (this.routerMade ??= new ReadRouter(this.primary, this.replicaNodes, this.options.positionWaitMs))
  }

  get replicas(): readonly ReplicaNode[] {
    return this.replicaNodes
  }

  getConnection(pattern: string, selectorOrCallback: string | ConnectionCallback, maybeCallback?: ConnectionCallback): void {
    const callback = typeof selectorOrCallback === 'function' ? selectorOrCallback : maybeCallback!
    if (pattern === 'MASTER') return this.primary.getConnection(callback)
    if (pattern === 'SLAVE*') return this.router.getConnection(callback)
    process.nextTick(callback, new Error(`no cluster node matches ${pattern}: only MASTER and SLAVE* are routed`))
  }

  end(callback?: (err?: Error | null) => void): void {
    for (const node of this.replicaNodes) node.health.stop()
    const pools = [...this.replicaNodes.map((node) => node.pool), ...(this.primaryPool ? [this.primaryPool] : [])]
    let left = pools.length
    let failure: Error | null = null
    if (left === 0) return process.nextTick(() => callback?.())
    for (const pool of pools) {
      pool.end((err) => {
        failure ??= err ?? null
        if (--left === 0) callback?.(failure)
      })
    }
  }
}
