import type { PoolConnection } from 'mysql2'
import type { ConnectionState } from './connection-state'
import { BorrowerGoneError } from './pool-errors'
import type { PoolTotals } from './pool-totals'
import type { WaiterQueue } from './waiter-queue'

/** MySQL/MariaDB: the statement was stopped by KILL QUERY. */
const ER_QUERY_INTERRUPTED = 1317

/** What the abandonment needs of the guard: its lent connections, and how to kill and retire one. */
export interface AbandonHost {
  readonly borrowed: ReadonlySet<PoolConnection>
  stateOf(connection: PoolConnection): ConnectionState
  kill(threadId: number | null | undefined, why: string): void
  /** Marks a lent connection to be destroyed when it comes back (counted once, by reason). */
  markGone(state: ConnectionState, reason: string): void
}

/**
 * Borrowers that went away (a client that hung up), and what that does to their borrows: a
 * borrow still queued is cancelled and never handed a connection, so abandoned requests hold no
 * place in the line under overload; a statement running on a connection lent to one is killed
 * on the server, from a connection of its own (statement-killer.ts). A borrower is an opaque
 * key (the HTTP layer uses the request); it is held weakly, so a finished request is not kept.
 */
export class AbandonedBorrowers {
  private readonly abandoned = new WeakSet<object>()

  constructor(
    private readonly host: AbandonHost,
    private readonly waiters: WaiterQueue,
    private readonly totals: PoolTotals
  ) {}

  has(borrower: object | undefined): boolean {
    return borrower !== undefined && this.abandoned.has(borrower)
  }

  /** The answer to a borrow of an abandoned borrower, counted as cancelled. */
  cancelled(): BorrowerGoneError {
    this.totals.borrowsCancelled++
    return new BorrowerGoneError('queued')
  }

  /**
   * Cancels the borrower's queued borrows and kills its running statements (the connection
   * then stays usable, and goes back to the pool when its borrower releases it); its later
   * borrows are refused (see has()). Returns how many queued borrows were cancelled.
   */
  abandon(borrower: object): number {
    this.abandoned.add(borrower)
    const cancelled = this.waiters.cancel(borrower, () => new BorrowerGoneError('queued'))
    this.totals.borrowsCancelled += cancelled
    for (const connection of this.host.borrowed) {
      if (this.host.stateOf(connection).borrower === borrower) this.killRunning(connection, 'client_aborted')
    }
    return cancelled
  }

  /**
   * Kills the statement running on a lent connection, if one is: the caller's statement then
   * fails with ER_QUERY_INTERRUPTED and the connection stays usable (one that ends otherwise
   * meanwhile leaves a kill in flight: see afterStatement). Returns whether one was running.
   */
  killRunning(connection: PoolConnection, why: string): boolean {
    if (!this.host.borrowed.has(connection)) return false
    const state = this.host.stateOf(connection)
    if (!state.running) return false
    // A request transaction's abort and the request's abandon() can both ask for the same statement.
    if (state.killPending) return true
    state.killPending = true
    this.host.kill(connection.threadId, why)
    return true
  }

  /** After every statement's answer, before anyone else sees the connection. */
  afterStatement(state: ConnectionState, err: unknown): void {
    if (!state.killPending) return
    state.killPending = false
    // The statement ended on its own before the KILL QUERY reached the server: the kill may
    // still land, on whatever runs next on this session. Never lend it again.
    if ((err as { errno?: unknown } | null)?.errno !== ER_QUERY_INTERRUPTED) this.host.markGone(state, 'kill_in_flight')
  }
}
