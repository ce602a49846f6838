import { LIFETIME_JITTER_SHARE } from './guard-settings'
import type { BorrowTiming } from './borrow-timing'

type StatementMethod = (...args: unknown[]) => unknown

/** What the guard remembers about one physical connection, for its whole life. */
export interface ConnectionState {
  createdAt: number
  /** When the connection is retired (on its next release, or by the sweeper when idle). */
  retireAt: number
  lastValidatedAt: number
  /** The guard's fatal-error count when this connection last proved itself (created or pinged). */
  trustedAtFatalErrors: number
  /** Set while lent out. */
  borrowedAt?: number
  leakTimer?: NodeJS.Timeout
  /** The current borrower's timing while lent to a measured borrower: its statements' time is added there. */
  timing: BorrowTiming | undefined
  /** The statement waiting for its answer, if any (for the statement deadline). */
  running?: RunningStatement
  /** Whose borrow the connection is lent to, when the borrower can go away (PoolGuard.abandon). */
  borrower: object | undefined
  /** A KILL QUERY was sent for the running statement and its answer has not come yet. */
  killPending?: boolean
  /** Mirrors SERVER_STATUS_IN_TRANS from the last OK packet the server sent. */
  inTransaction: boolean
  /** Set once: why the connection left the pool. */
  goneReason?: string
  /** mysql2's own methods, before the guard wrapped them. */
  originals: { query: StatementMethod; execute: StatementMethod; release: () => void; destroy: () => void }
}

export interface RunningStatement {
  startedAt: number
  /** Answers the caller with `err` now; the driver's late answer, if one comes, is dropped. */
  fail(err: Error): void
}

/** MySQL protocol server status flag: a transaction is open on this session. */
export const SERVER_STATUS_IN_TRANS = 1

export function newConnectionState(
  now: number,
  maxLifetimeMs: number,
  originals: ConnectionState['originals'],
  random: () => number = Math.random
): ConnectionState {
  const jitter = maxLifetimeMs * LIFETIME_JITTER_SHARE * random()
  return {
    createdAt: now,
    retireAt: maxLifetimeMs > 0 ? now + maxLifetimeMs - jitter : Number.POSITIVE_INFINITY,
    lastValidatedAt: now,
    trustedAtFatalErrors: 0,
    inTransaction: false,
    timing: undefined,
    borrower: undefined,
    originals
  }
}

/** Updates the transaction flag from a statement's result: OK packets carry the server status. */
export function trackServerStatus(state: ConnectionState, result: unknown): void {
  const packets = Array.isArray(result) ? result : [result]
  for (let i = packets.length - 1; i >= 0; i--) {
    const status = (packets[i] as { serverStatus?: unknown } | null)?.serverStatus
    if (typeof status === 'number') {
      state.inTransaction = (status & SERVER_STATUS_IN_TRANS) !== 0
      return
    }
  }
}
