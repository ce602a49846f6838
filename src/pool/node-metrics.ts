import { Gauge, type Registry } from 'prom-client'
import type { PoolGuard } from './pool-guard'
import type { ReplicaHealth } from './replica-health'

export interface HealthNode {
  name: string
  guard: PoolGuard
  /** Replicas only. */
  health?: ReplicaHealth
}

/** How long a scrape waits for the primary's ping before calling it down. */
const PRIMARY_PING_TIMEOUT_MS = 500

/**
 * `lifeguard_db_node_up{node}`: 1 while a node serves. A replica is up while its probe finds it
 * usable (replica-health.ts: reachable, replicating, lag within DB_REPLICA_MAX_LAG_MS); the
 * primary while it answers a ping on the readiness check's own connection, asked at scrape.
 * `lifeguard_db_replica_lag_seconds{node}`: each replica's Seconds_Behind_Master at its last
 * probe, absent while unknown (SQL thread stopped, replica unreachable).
 */
export function registerNodeMetrics(registry: Registry, nodes: readonly HealthNode[]): void {
  const registers = [registry]
  new Gauge({
    name: 'lifeguard_db_node_up',
    help: 'whether a database node serves: the primary answers a ping; a replica is reachable, replicating and within DB_REPLICA_MAX_LAG_MS',
    labelNames: ['node'],
    registers,
    async collect() {
      for (const { name: node, guard, health } of nodes) {
        const up = health ? health.usable : (await guard.checkReachable(PRIMARY_PING_TIMEOUT_MS)).reachable
        this.set({ node }, up ? 1 : 0)
      }
    }
  })
  new Gauge({
    name: 'lifeguard_db_replica_lag_seconds',
    help: "a replica's own Seconds_Behind_Master (whole seconds) at its last probe; absent while unknown",
    labelNames: ['node'],
    registers,
    collect() {
      this.reset()
      for (const { name: node, health } of nodes) {
        if (health && health.lagSeconds !== null) this.set({ node }, health.lagSeconds)
      }
    }
  })
}
