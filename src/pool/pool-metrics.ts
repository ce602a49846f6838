import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { PoolGuard } from './pool-guard'

/** Acquire-wait and usage buckets, in seconds: 0.1 ms to 30 s. */
const TIME_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/**
 * The pool's metrics with HikariCP's names. Gauges and counters are read from the guard when
 * scraped (nothing to keep in sync); the two histograms are fed by the guard's events.
 */
export function registerPoolMetrics(registry: Registry, guard: PoolGuard): void {
  const registers = [registry]
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, registers, collect() { this.set(read()) } })
  gauge('db_pool_connections_total', 'open connections, lent or idle', () => guard.stats().total)
  gauge('db_pool_connections_idle', 'idle connections ready to lend', () => guard.stats().idle)
  gauge('db_pool_connections_active', 'connections lent out (or connecting, or being reset)', () => guard.stats().active)
  gauge('db_pool_connections_pending', 'borrowers waiting for a connection', () => guard.stats().pending)
  gauge('db_pool_connections_max', 'most connections the pool may open', () => guard.stats().max)
  gauge('db_pool_saturated', '1 while every connection is lent and borrowers wait (readiness stays green)', () => {
    const { idle, pending } = guard.stats()
    return pending > 0 && idle === 0 ? 1 : 0
  })

  const counterFrom = (name: string, help: string, label: string, read: () => Map<string, number>) =>
    new Counter({
      name,
      help,
      labelNames: [label],
      registers,
      collect() {
        this.reset()
        for (const [value, count] of read()) this.inc({ [label]: value }, count)
      }
    })
  counterFrom('db_pool_timeouts_total', 'borrows refused: acquire timeout or full queue', 'reason', () => guard.totals.timeoutsByReason)
  counterFrom('db_pool_connections_destroyed_total', 'connections closed, by reason', 'reason', () => guard.totals.destroyedByReason)
  counterFrom('db_errors_total', 'database errors by driver code', 'code', () => guard.totals.errorsByCode)
  new Counter({
    name: 'db_pool_borrows_cancelled_total',
    help: 'borrows cancelled because their borrower (a client that hung up) went away before getting a connection',
    registers,
    collect() {
      this.reset()
      this.inc(guard.totals.borrowsCancelled)
    }
  })
  new Counter({
    name: 'db_pool_connections_created_total',
    help: 'connections opened',
    registers,
    collect() {
      this.reset()
      this.inc(guard.totals.created)
    }
  })

  const acquireWait = new Histogram({
    name: 'db_pool_acquire_seconds',
    help: 'time from asking for a connection to getting one',
    buckets: TIME_BUCKETS,
    registers
  })
  const usage = new Histogram({
    name: 'db_pool_usage_seconds',
    help: 'time a connection is held before it is released',
    buckets: TIME_BUCKETS,
    registers
  })
  guard.on('acquired', (waitMs: number) => acquireWait.observe(waitMs / 1000))
  guard.on('released', (usageMs: number) => usage.observe(usageMs / 1000))
}
