import type { PoolConnection } from 'mysql2'
import type { ConnectionState } from './connection-state'

/** What the eviction needs of the guard: its lent and idle connections, and how to retire them. */
export interface EvictionHost {
  readonly borrowed: ReadonlySet<PoolConnection>
  stateOf(connection: PoolConnection): ConnectionState
  idle(): PoolConnection[]
  /** Marks a lent connection to be destroyed when it comes back (counted once, by reason). */
  markGone(state: ConnectionState, reason: string): void
  /** Closes an idle connection for good, without waking waiters (pump() does, once). */
  discard(connection: PoolConnection, reason: string): void
  pump(): void
}

export interface EvictionLogger {
  warn(obj: object, msg: string): void
}

/**
 * The server turned read-only (a failover demoted it): drop every idle connection now and
 * every lent one when it comes back, so the next borrows connect afresh and reach the new
 * primary behind the same name, without a restart. Each read-only error evicts the
 * connections made before it; connections made after it are kept until they hit one too.
 * Returns how many connections it evicted (ones already on their way out are not counted).
 */
export function evictReadOnly(host: EvictionHost, logger: EvictionLogger): number {
  let evicted = 0
  for (const connection of host.borrowed) {
    const state = host.stateOf(connection)
    if (!state.goneReason) evicted++
    host.markGone(state, 'read_only')
  }
  for (const connection of host.idle()) {
    evicted++
    host.discard(connection, 'read_only')
  }
  if (evicted > 0) logger.warn({ evicted }, 'the database refused a write as read-only (failover?): its connections are replaced')
  host.pump()
  return evicted
}
