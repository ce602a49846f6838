import type { FastifyInstance } from 'fastify'

/** What the app's connection pool holds right now, in HikariCP's words. */
export interface PoolState {
  /** connections open (or opening) */
  total: number
  /** open and waiting in the pool */
  idle: number
  /** lent out to a query or a transaction */
  active: number
  /** borrowers waiting for a connection */
  pending: number
}

interface Mysql2PoolInternals {
  _allConnections: { length: number }
  _freeConnections: { length: number }
  _connectionQueue: { length: number }
}

type Stats = { stats(): PoolState }

/**
 * Reads the mysql2 pool TypeORM created for `app.db`. mysql2 exposes no public counters,
 * so this reads its internals, unless the pool guards (src/pool) are there to ask: with
 * replicas, the sum over every node (TypeORM then keeps no `driver.pool`, only a cluster),
 * so "idle" means every node idle.
 */
export function poolState(app: FastifyInstance): PoolState {
  const { poolGuard, dbNodes } = app as unknown as { poolGuard?: Stats; dbNodes?: ReadonlyArray<{ guard: Stats }> }
  const guards = dbNodes?.length ? dbNodes.map((node) => node.guard) : poolGuard ? [poolGuard] : []
  if (guards.length) {
    const sum: PoolState = { total: 0, idle: 0, active: 0, pending: 0 }
    for (const guard of guards) {
      const { total, idle, active, pending } = guard.stats()
      sum.total += total
      sum.idle += idle
      sum.active += active
      sum.pending += pending
    }
    return sum
  }
  const pool = (app.db.driver as unknown as { pool: Mysql2PoolInternals }).pool
  const total = pool._allConnections.length
  const idle = pool._freeConnections.length
  return { total, idle, active: total - idle, pending: pool._connectionQueue.length }
}

/** Resolves once no connection is lent out (releases can lag a response by a tick). */
export async function waitForIdlePool(app: FastifyInstance, timeoutMs = 2_000): Promise<PoolState> {
  const deadline = Date.now() + timeoutMs
  let state = poolState(app)
  while ((state.active > 0 || state.pending > 0) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    state = poolState(app)
  }
  return state
}
