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

/**
 * Reads the mysql2 pool TypeORM created for `app.db`. mysql2 exposes no public counters,
 * so this reads its internals, unless the pool guard (src/pool) is there to ask.
 */
export function poolState(app: FastifyInstance): PoolState {
  const guard = (app as unknown as { poolGuard?: { stats(): PoolState } }).poolGuard
  if (guard) {
    const { total, idle, active, pending } = guard.stats()
    return { total, idle, active, pending }
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
