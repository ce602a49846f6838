import type { Pool, PoolConnection } from 'mysql2'

/**
 * The only place that reads mysql2's private pool fields (mysql2 3.x). The guard needs
 * them to know, synchronously, whether a borrow would be served at once or would queue
 * inside mysql2 — where a waiter could never be removed again.
 */
interface RingQueue<T> {
  length: number
  get(index: number): T
}

interface PoolInternals {
  _allConnections: RingQueue<PoolConnection>
  _freeConnections: RingQueue<PoolConnection>
  _closed: boolean
}

interface ConnectionInternals {
  /** Set by mysql2 when the handshake shows a MariaDB server. */
  _isMariaDB?: boolean
  /** Last time mysql2 saw the connection released (ms since epoch). */
  lastActiveTime: number
  /** 'error' / 'disconnected' once the socket is gone. */
  state?: string
}

export function totalConnections(pool: Pool): number {
  return (pool as unknown as PoolInternals)._allConnections.length
}

export function idleConnections(pool: Pool): PoolConnection[] {
  const free = (pool as unknown as PoolInternals)._freeConnections
  const list: PoolConnection[] = []
  for (let i = 0; i < free.length; i++) list.push(free.get(i))
  return list
}

export function idleCount(pool: Pool): number {
  return (pool as unknown as PoolInternals)._freeConnections.length
}

export function isMariaDb(connection: PoolConnection): boolean | undefined {
  return (connection as unknown as ConnectionInternals)._isMariaDB
}

export function lastActiveTime(connection: PoolConnection): number {
  return (connection as unknown as ConnectionInternals).lastActiveTime
}

/** True once mysql2 knows the socket is dead or closing: such a connection must never be lent. */
export function isGone(connection: PoolConnection): boolean {
  const state = (connection as unknown as ConnectionInternals).state
  return state === 'error' || state === 'disconnected'
}
