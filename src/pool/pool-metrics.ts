import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { PoolGuard } from './pool-guard'

/** Acquire-wait and usage buckets, in seconds: 0.1 ms to 30 s. */
const TIME_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** One guarded pool and its `node` label ('primary', or a replica's host:port). */
export interface MetricsNode {
  name: string
  guard: PoolGuard
}

/**
 * The pools' metrics with HikariCP's names, one series per node (label `node`): every node has
 * a guard of its own. Gauges and counters are read from the guards when scraped (nothing to
 * keep in sync); the two histograms are fed by the guards' events.
 */
export function registerPoolMetrics(registry: Registry, nodes: readonly MetricsNode[]): void {
  const registers = [registry]
  const gauge = (name: string, help: string, read: (guard: PoolGuard) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['node'],
      registers,
      collect() {
        for (const { name: node, guard } of nodes) this.set({ node }, read(guard))
      }
    })
  gauge('db_pool_connections_total', 'open connections, lent or idle', (guard) => guard.stats().total)
  gauge('db_pool_connections_idle', 'idle connections ready to lend', (guard) => guard.stats().idle)
  gauge('db_pool_connections_active', 'connections lent out (or connecting, or being reset)', (guard) => guard.stats().active)
  gauge('db_pool_connections_pending', 'borrowers waiting for a connection', (guard) => guard.stats().pending)
  gauge('db_pool_connections_max', 'most connections the pool may open', (guard) => guard.stats().max)
  gauge('db_pool_saturated', '1 while every connection is lent and borrowers wait (readiness stays green)', (guard) => {
    const { idle, pending } = guard.stats()
    return pending > 0 && idle === 0 ? 1 : 0
  })

  const counterFrom = (name: string, help: string, label: string, read: (guard: PoolGuard) => Map<string, number>) =>
    new Counter({
      name,
      help,
      labelNames: ['node', label],
      registers,
      collect() {
        this.reset()
        for (const { name: node, guard } of nodes) {
          for (const [value, count] of read(guard)) this.inc({ node, [label]: value }, count)
        }
      }
    })
  counterFrom('db_pool_timeouts_total', 'borrows refused: acquire timeout or full queue', 'reason', (guard) => guard.totals.timeoutsByReason)
  counterFrom('db_pool_connections_destroyed_total', 'connections closed, by reason', 'reason', (guard) => guard.totals.destroyedByReason)
  counterFrom('db_errors_total', 'database errors by driver code', 'code', (guard) => guard.totals.errorsByCode)
  const counter = (name: string, help: string, read: (guard: PoolGuard) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['node'],
      registers,
      collect() {
        this.reset()
        for (const { name: node, guard } of nodes) this.inc({ node }, read(guard))
      }
    })
  counter(
    'db_pool_borrows_cancelled_total',
    'borrows cancelled because their borrower (a client that hung up) went away before getting a connection',
    (guard) => guard.totals.borrowsCancelled
  )
  counter('db_pool_connections_created_total', 'connections opened', (guard) => guard.totals.created)

  const acquireWait = new Histogram({
    name: 'db_pool_acquire_seconds',
    help: 'time from asking for a connection to getting one',
    labelNames: ['node'],
    buckets: TIME_BUCKETS,
    registers
  })
  const usage = new Histogram({
    name: 'db_pool_usage_seconds',
    help: 'time a connection is held before it is released',
    labelNames: ['node'],
    buckets: TIME_BUCKETS,
    registers
  })
  for (const { name: node, guard } of nodes) {
    // Bound once per node, so an observation does not build a label object.
    const waits = acquireWait.labels({ node })
    const usages = usage.labels({ node })
    guard.on('acquired', (waitMs: number) => waits.observe(waitMs / 1000))
    guard.on('released', (usageMs: number) => usages.observe(usageMs / 1000))
  }
}
