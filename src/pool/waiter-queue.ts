import type { PoolConnection } from 'mysql2'
import { acquireTimeoutError } from './pool-errors'
import type { GuardSettings } from './guard-settings'
import type { BorrowTiming } from './borrow-timing'

export type ConnectionCallback = (err: Error | null, connection?: PoolConnection) => void

export interface Waiter {
  readonly callback: ConnectionCallback
  readonly enqueuedAt: number
  readonly deadline: number
  /** Armed only once the borrow cannot be served from an idle connection at once (a timer per borrow is not free). */
  timer?: NodeJS.Timeout
  settled: boolean
  readonly borrowStack?: string
  /** Whose wait this is, when someone measures it (Server-Timing), and since when (performance.now()). */
  readonly timing: BorrowTiming | undefined
  readonly timedFrom: number
  /** Whose borrow this is, when the borrower can go away and cancel it (PoolGuard.abandon). */
  readonly borrower: object | undefined
}

/**
 * The borrows waiting for a connection, first come first served, each with one absolute
 * deadline. A waiter is answered exactly once: with a connection, an error, or a 503 when
 * its deadline passes, and then it is out of the queue.
 */
export class WaiterQueue {
  private readonly waiters: Waiter[] = []

  constructor(
    /** Read at each borrow, not copied: the guard's settings object is the one source. */
    private readonly settings: Pick<GuardSettings, 'acquireTimeoutMs'>,
    private readonly onTimeout: () => void
  ) {}

  get length(): number {
    return this.waiters.length
  }

  /**
   * Queues a borrow; its deadline timer starts now unless it is about to be served from an idle
   * connection. The deadline is the acquire timeout from now, or an earlier borrow's own
   * (a retried read keeps the deadline its first borrow had).
   */
  enqueue(
    callback: ConnectionCallback,
    borrowStack: string | undefined,
    servedAtOnce: boolean,
    deadline?: number,
    timing?: BorrowTiming,
    borrower?: object
  ): Waiter {
    const now = Date.now()
    const waiter: Waiter = {
      callback,
      enqueuedAt: now,
      deadline: deadline ?? now + this.settings.acquireTimeoutMs,
      settled: false,
      borrowStack,
      timing,
      timedFrom: timing === undefined ? 0 : performance.now(),
      borrower
    }
    this.waiters.push(waiter)
    if (!servedAtOnce) this.armDeadline(waiter)
    return waiter
  }

  next(): Waiter | undefined {
    return this.waiters.shift()
  }

  /** Back to the front (its connection was unusable): it tries again within its own deadline. */
  retryFirst(waiter: Waiter): void {
    if (waiter.settled) return
    this.waiters.unshift(waiter)
    this.armDeadline(waiter)
  }

  armDeadline(waiter: Waiter): void {
    if (waiter.timer || waiter.settled) return
    waiter.timer = setTimeout(() => this.expire(waiter), Math.max(0, waiter.deadline - Date.now()))
  }

  expire(waiter: Waiter): void {
    if (waiter.settled) return
    const index = this.waiters.indexOf(waiter)
    if (index >= 0) this.waiters.splice(index, 1)
    this.onTimeout()
    this.settle(waiter, acquireTimeoutError(this.settings.acquireTimeoutMs))
  }

  settle(waiter: Waiter, err: Error | null, connection?: PoolConnection): void {
    if (waiter.settled) return
    waiter.settled = true
    if (waiter.timer) clearTimeout(waiter.timer)
    // Every answer counts, a refusal too: a 503 after a long wait is where that request's time went.
    if (waiter.timing !== undefined) waiter.timing.poolWaitMs += performance.now() - waiter.timedFrom
    waiter.callback(err, connection)
  }

  /**
   * Takes every queued borrow of `borrower` out of the queue and answers it with `err`: it
   * is never handed a connection, so an abandoned request holds no place in the line.
   * Returns how many were cancelled.
   */
  cancel(borrower: object, err: () => Error): number {
    let cancelled = 0
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]
      if (waiter.borrower !== borrower) continue
      this.waiters.splice(i, 1)
      this.settle(waiter, err())
      cancelled++
    }
    return cancelled
  }

  /** Answers every queued borrow with `err` (the pool is closing). */
  failAll(err: () => Error): void {
    for (const waiter of this.waiters.splice(0)) this.settle(waiter, err())
  }
}
