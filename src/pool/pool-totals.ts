import { errorCodeOf } from './connection-errors'

/** A point-in-time view of the pool, with HikariCP's names. */
export interface PoolStats {
  /** Open connections, lent or not (including ones still connecting). */
  total: number
  idle: number
  /** total - idle: lent out, connecting, or being reset. */
  active: number
  /** Borrowers still waiting for a connection. */
  pending: number
  max: number
}

/** Cumulative counts since the pool was made; metrics read them when scraped. */
export class PoolTotals {
  created = 0
  readRetries = 0
  rollbacksOnRelease = 0
  /** Borrows cancelled because their borrower went away before a connection was handed over. */
  borrowsCancelled = 0
  readonly destroyedByReason = new Map<string, number>()
  readonly timeoutsByReason = new Map<string, number>()
  readonly errorsByCode = new Map<string, number>()

  countDestroyed(reason: string): void {
    increment(this.destroyedByReason, reason)
  }

  countTimeout(reason: 'acquire_timeout' | 'queue_full'): void {
    increment(this.timeoutsByReason, reason)
  }

  /** Database errors by their driver code (ER_DUP_ENTRY, ECONNREFUSED, ...). */
  countError(err: unknown): void {
    increment(this.errorsByCode, errorCodeOf(err))
  }
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1)
}
