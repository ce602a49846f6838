import { Counter, type Registry } from 'prom-client'
import type { ReadRouter } from './read-router'

/**
 * `lifeguard_db_position_reads_total{node,outcome}`: reads that carried a Lifeguard-Position
 * (read-your-writes), by the node that served them and how — `replica` (known to have the
 * position: no wait), `replica_after_wait` (after MASTER_GTID_WAIT said so), `primary` (no
 * replica had it within DB_REPLICA_WAIT_MS). Many `primary` means replicas lag behind what
 * clients just wrote: each such read costs the wait and a primary read.
 */
export function registerPositionMetrics(registry: Registry, router: ReadRouter): void {
  new Counter({
    name: 'lifeguard_db_position_reads_total',
    help: 'reads carrying Lifeguard-Position, by serving node and outcome (replica, replica_after_wait, primary)',
    labelNames: ['node', 'outcome'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [node, byOutcome] of router.positionReads) {
        for (const [outcome, count] of byOutcome) this.inc({ node, outcome }, count)
      }
    }
  })
}
