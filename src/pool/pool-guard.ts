import { EventEmitter } from 'node:events'
import mysql, { type Pool, type PoolConnection, type PoolOptions } from 'mysql2'
import { poolClosedError, queueFullError } from './pool-errors'
import type { GuardSettings } from './guard-settings'
import { newConnectionState, trackServerStatus, type ConnectionState } from './connection-state'
import { isConnectionError, isReadOnlyError } from './connection-errors'
import { instrumentConnection, type StatementHooks } from './instrument-connection'
import { pingWithin } from './validate-connection'
import { sessionSetupSql } from './session-setup'
import { idleConnections, idleCount, isGone, isMariaDb, lastActiveTime, totalConnections } from './mysql2-internals'
import { idleToRetire } from './idle-sweeper'
import { StatementDeadline, type DeadlineHost } from './statement-deadline'
import { evictReadOnly, type EvictionHost } from './read-only-eviction'
import { AbandonedBorrowers, type AbandonHost } from './abandoned-borrowers'
import { captureBorrowStack, startLeakTimer, stopLeakTimer, type LeakLogger } from './leak-detector'
import { GuardedPool } from './guarded-pool'
import { replicationRefused } from './guarded-cluster'
import { connectionOptionsOf, HealthConnection, type Reachability } from './health-connection'
import { StatementKiller, type KillLogger } from './statement-killer'
import { PoolTotals, type PoolStats } from './pool-totals'
import { WaiterQueue, type ConnectionCallback, type Waiter } from './waiter-queue'
import type { BorrowTiming } from './borrow-timing'

/**
 * Connections one guard opens beside its pool's DB_POOL_SIZE, for a connection budget
 * (src/db/connection-budget.ts): the readiness check's own connection (health-connection.ts,
 * kept open from the first check on) and the statement killer's (statement-killer.ts: a fresh
 * connection per KILL QUERY, closed once answered; one at a time in the usual case, a burst of
 * client hang-ups can briefly open more).
 */
export const CONNECTIONS_BESIDE_POOL = 2

/** Whom a borrow is for: see PoolGuard.attribution(). */
export interface BorrowAttribution {
  borrower: object | undefined
  timed: BorrowTiming | undefined
}

export type PoolLogger = LeakLogger & KillLogger & {
  debug(obj: object, msg: string): void
}

/**
 * The pool guard: one per database node (app.poolGuard is the primary's). It lets mysql2 own the sockets and adds what mysql2 lacks —
 * its own waiter queue with one absolute deadline per borrow, validation on checkout, max
 * lifetime, an idle sweeper, fatal-error eviction, rollback on release and leak warnings.
 * It composes the rules that stand on their own: which idle connections retire
 * (idle-sweeper.ts), the client-side statement deadline (statement-deadline.ts), the
 * eviction after a read-only error (read-only-eviction.ts), and what becomes of the borrows
 * of a borrower that went away (abandoned-borrowers.ts).
 * TypeORM gets it through `driver()`; its `pool` is a GuardedPool with mysql2's interface.
 *
 * Events (for metrics): 'acquired' (waitMs), 'released' (usageMs).
 */
export class PoolGuard extends EventEmitter {
  readonly totals = new PoolTotals()
  private inner?: Pool
  private readonly waiters: WaiterQueue
  private readonly borrowed = new Set<PoolConnection>()
  private readonly states = new WeakMap<PoolConnection, ConnectionState>()
  /** Borrows between leaving the queue and being handed a connection (connecting, validating). */
  private serving = 0
  /** Connection-level errors seen so far; a connection trusted at a lower count must prove itself. */
  private fatalErrors = 0
  private sweeper?: NodeJS.Timeout
  /** Readiness checks' own connection, with the pool's options (see health-connection.ts). */
  private health?: HealthConnection
  /** Kills, from a connection of its own, the statements whose deadline passed. */
  private killer?: StatementKiller
  /** What the statement deadline, the read-only eviction and the abandonment may see and do of this guard. */
  private readonly host: DeadlineHost & EvictionHost & AbandonHost = {
    borrowed: this.borrowed,
    stateOf: (connection) => this.states.get(connection)!,
    idle: () => (this.inner ? idleConnections(this.inner) : []),
    markGone: (state, reason) => this.markGone(state, reason),
    discard: (connection, reason) => this.discard(connection, reason),
    kill: (threadId, why) => this.killer?.kill(threadId, why),
    pump: () => this.pump()
  }
  private readonly deadline: StatementDeadline
  private closed = false
  /**
   * Whose borrows are being made right now, for Server-Timing: set by the HTTP layer around the
   * synchronous run of a request's handler, and read by acquire() at that moment. A borrow is a
   * synchronous call, so it is attributed without AsyncLocalStorage, whose promise hooks would
   * cost every request (docs/bench/README.md); a borrow made after the handler's first await is
   * not measured unless it goes through borrowAs. The connection then carries the timing, so
   * every statement on it counts.
   */
  timedBorrower: BorrowTiming | undefined = undefined
  /**
   * Whose borrows are being made right now, when that borrower can go away (a client that hangs
   * up): set by the HTTP layer around the synchronous run of a request's handler, like
   * timedBorrower and for the same reason. An opaque key the pool never looks into; abandon()
   * with it cancels its queued borrows and kills its running statements.
   */
  currentBorrower: object | undefined = undefined
  /** Borrowers that went away: their queued borrows cancelled, their statements killed. */
  private readonly abandoned: AbandonedBorrowers
  private readonly hooks: StatementHooks = {
    afterStatement: (connection, state, err, result) => this.afterStatement(connection, state, err, result)
  }

  constructor(
    readonly settings: GuardSettings,
    private readonly logger: PoolLogger
  ) {
    super()
    this.waiters = new WaiterQueue(settings, () => this.totals.countTimeout('acquire_timeout'))
    this.deadline = new StatementDeadline(settings, this.host, logger)
    this.abandoned = new AbandonedBorrowers(this.host, this.waiters, this.totals)
  }

  /** The mysql2-compatible module for TypeORM's `driver` option. */
  driver(): typeof mysql {
    return Object.assign(Object.create(mysql), {
      createPool: (options: PoolOptions) => this.createPool(options),
      // One guard guards one node; replication is a guard per node (guarded-cluster.ts, replicatedDriver).
      createPoolCluster: () => replicationRefused()
    })
  }

  /** Whether the database answers a ping within `timeoutMs`, on a connection outside the pool. */
  checkReachable(timeoutMs: number): Promise<Reachability> {
    if (!this.health) return Promise.resolve({ reachable: false, elapsedMs: 0, reason: 'no pool yet' })
    return this.health.check(timeoutMs)
  }

  stats(): PoolStats {
    const total = this.inner ? totalConnections(this.inner) : 0
    const idle = this.inner ? idleCount(this.inner) : 0
    return { total, idle, active: total - idle, pending: this.waiters.length + this.serving, max: this.settings.connectionLimit }
  }

  private createPool(options: PoolOptions): GuardedPool {
    if (this.inner) throw new Error('a pool guard guards exactly one pool; build one guard per DataSource')
    // maxIdle = connectionLimit keeps mysql2's own sweeper off: ours retires by lifetime too.
    const inner = mysql.createPool({ ...options, maxIdle: this.settings.connectionLimit })
    this.health = new HealthConnection(options)
    this.killer = new StatementKiller(connectionOptionsOf(options), this.logger)
    this.deadline.start()
    inner.on('connection', (connection) => this.adopt(connection))
    this.inner = inner
    this.sweeper = setInterval(() => this.sweepIdle(), this.settings.sweepIntervalMs).unref()
    return new GuardedPool(this, inner)
  }

  /** Borrow with one absolute deadline (the acquire timeout from now, or `deadline`); mysql2's callback contract. */
  acquire(
    callback: ConnectionCallback,
    deadline?: number,
    timing: BorrowTiming | undefined = this.timedBorrower,
    borrower: object | undefined = this.currentBorrower
  ): void {
    if (this.closed || !this.inner) return process.nextTick(callback, poolClosedError())
    if (this.abandoned.has(borrower)) return process.nextTick(callback, this.abandoned.cancelled())
    const { queueLimit } = this.settings
    if (queueLimit > 0 && this.waiters.length >= queueLimit) {
      this.totals.countTimeout('queue_full')
      return process.nextTick(callback, queueFullError(queueLimit))
    }
    const servedAtOnce = this.waiters.length === 0 && idleCount(this.inner) > 0
    this.waiters.enqueue(callback, captureBorrowStack(this.settings.leakDetectionMs), servedAtOnce, deadline, timing, borrower)
    this.pump()
  }

  /** Give back a lent connection (what `connection.release()` calls). */
  release(connection: PoolConnection): void {
    if (!this.borrowed.delete(connection)) return // released twice, or never lent by us
    const state = this.states.get(connection)!
    stopLeakTimer(state)
    if (state.borrowedAt !== undefined) this.emit('released', Date.now() - state.borrowedAt)
    state.borrowedAt = undefined
    state.timing = undefined
    state.borrower = undefined
    state.running = undefined // a statement its borrower abandoned is not the next borrower's
    if (isGone(connection) || state.goneReason) return this.destroy(connection, 'connection_lost')
    if (!state.inTransaction) return this.putBack(connection, state)
    // Reset on return: never lend a connection with someone else's transaction still open.
    state.originals.query.call(connection, 'ROLLBACK', (err: unknown) => {
      if (err) return this.destroy(connection, 'rollback_failed')
      this.totals.rollbacksOnRelease++
      state.inTransaction = false
      this.putBack(connection, state)
    })
  }

  /** Close a connection for good, without waking waiters (the caller does). */
  private discard(connection: PoolConnection, reason: string): void {
    this.borrowed.delete(connection)
    const state = this.states.get(connection)
    if (state) {
      stopLeakTimer(state)
      this.markGone(state, reason)
      state.originals.destroy.call(connection)
    } else {
      connection.destroy()
    }
  }

  /** Close a lent or idle connection for good (what `connection.destroy()` calls); its slot goes to the next waiter. */
  destroy(connection: PoolConnection, reason: string): void {
    this.discard(connection, reason)
    this.pump()
  }

  end(callback: (err?: Error | null) => void): void {
    this.closed = true
    this.health?.close()
    this.killer?.close()
    clearInterval(this.sweeper)
    this.deadline.stop()
    this.waiters.failAll(poolClosedError)
    for (const connection of this.borrowed) stopLeakTimer(this.states.get(connection)!)
    if (!this.inner) return process.nextTick(callback)
    this.inner.end((err) => callback(err))
  }

  private pump(): void {
    while (this.waiters.length > 0 && this.hasCapacity()) this.borrowFor(this.waiters.next()!)
  }

  private hasCapacity(): boolean {
    const inner = this.inner!
    return idleCount(inner) > 0 || totalConnections(inner) < this.settings.connectionLimit
  }

  private borrowFor(waiter: Waiter): void {
    if (idleCount(this.inner!) === 0) this.waiters.armDeadline(waiter) // a new connection: the connect may hang
    this.serving++
    this.inner!.getConnection((err, connection) => {
      this.serving--
      if (err) {
        this.totals.countError(err)
        // The database refused or dropped the attempt: fail fast, do not wait out the deadline.
        this.waiters.settle(waiter, err)
        return this.pump()
      }
      this.checkout(connection, waiter)
    })
  }

  private checkout(connection: PoolConnection, waiter: Waiter): void {
    if (waiter.settled) return this.putBack(connection, this.states.get(connection)!)
    const state = this.states.get(connection)!
    // Abandoned while its connection was being made or validated (out of the queue already).
    if (this.abandoned.has(waiter.borrower)) {
      this.waiters.settle(waiter, this.abandoned.cancelled())
      return this.putBack(connection, state)
    }
    const now = Date.now()
    // The deadline is absolute: a connection that arrives after it (its timer not yet run) is not lent.
    if (now >= waiter.deadline) {
      this.waiters.expire(waiter)
      return this.putBack(connection, state)
    }
    if (isGone(connection)) return this.retryWith(waiter, connection, 'connection_lost')
    if (now >= state.retireAt) return this.retryWith(waiter, connection, 'max_lifetime')
    if (!this.needsValidation(connection, state, now)) return this.handOver(connection, state, waiter)
    this.serving++
    pingWithin(connection, Math.min(this.settings.validationTimeoutMs, waiter.deadline - now), (alive) => {
      this.serving--
      if (!alive) return this.retryWith(waiter, connection, 'validation_failed')
      state.lastValidatedAt = Date.now()
      state.trustedAtFatalErrors = this.fatalErrors
      if (waiter.settled) return this.putBack(connection, state)
      this.handOver(connection, state, waiter)
    })
  }

  private needsValidation(connection: PoolConnection, state: ConnectionState, now: number): boolean {
    // Connections older than the last fatal error may share its fate (server restart, network cut).
    // A count, not a timestamp: a fatal error and a validation can fall in the same millisecond.
    if (state.trustedAtFatalErrors < this.fatalErrors) return true
    return now - Math.max(lastActiveTime(connection), state.lastValidatedAt) >= this.settings.validateAfterIdleMs
  }

  /** Drop an unusable connection and let the same waiter try again within its own deadline. */
  private retryWith(waiter: Waiter, connection: PoolConnection, reason: string): void {
    this.discard(connection, reason)
    this.waiters.retryFirst(waiter)
    this.pump()
  }

  private handOver(connection: PoolConnection, state: ConnectionState, waiter: Waiter): void {
    this.borrowed.add(connection)
    state.borrowedAt = Date.now()
    state.timing = waiter.timing
    state.borrower = waiter.borrower
    startLeakTimer(state, this.settings.leakDetectionMs, waiter.borrowStack, this.logger)
    this.emit('acquired', state.borrowedAt - waiter.enqueuedAt)
    this.waiters.settle(waiter, null, connection)
  }

  /** An unlent connection goes to the next waiter or back to mysql2's idle list. */
  private putBack(connection: PoolConnection, state: ConnectionState): void {
    if (Date.now() >= state.retireAt) return this.destroy(connection, 'max_lifetime')
    state.originals.release.call(connection)
    this.pump()
  }

  /** A fresh connection from mysql2: remember it, wrap it, and give it the statement timeout. */
  private adopt(connection: PoolConnection): void {
    const originals = {
      query: connection.query,
      execute: connection.execute,
      release: connection.release,
      destroy: connection.destroy
    } as unknown as ConnectionState['originals']
    const state = newConnectionState(Date.now(), this.settings.maxLifetimeMs, originals)
    state.trustedAtFatalErrors = this.fatalErrors
    this.states.set(connection, state)
    this.totals.created++
    instrumentConnection(connection, state, this.hooks)
    connection.release = () => this.release(connection)
    connection.destroy = () => this.destroy(connection, 'destroyed_by_caller')
    // mysql2 drops a connection from its pool on 'error'/'end'; a listener must always exist
    // (an unhandled 'error' would crash the process) and our waiters must see the free slot.
    connection.on('error', (err) => {
      this.totals.countError(err)
      if (isConnectionError(err)) this.fatalErrors++
      this.logger.debug({ err, threadId: connection.threadId }, 'pooled connection failed')
      this.markGone(state, 'connection_lost')
      setImmediate(() => this.pump())
    })
    connection.once('end', () => {
      this.markGone(state, 'closed_by_server')
      setImmediate(() => this.pump())
    })
    // Queued before any caller's statement, since mysql2 runs a connection's commands in order.
    const sql = sessionSetupSql(this.settings.statementTimeoutMs, isMariaDb(connection) !== false)
    originals.query.call(connection, sql, (err: unknown) => {
      if (err) this.logger.warn({ err }, 'could not set up the session of a new connection (time zone, statement timeout)')
    })
  }

  private afterStatement(connection: PoolConnection, state: ConnectionState, err: unknown, result: unknown): void {
    this.abandoned.afterStatement(state, err)
    if (!err) return trackServerStatus(state, result)
    this.totals.countError(err)
    if (isReadOnlyError(err)) return void evictReadOnly(this.host, this.logger)
    if (!isConnectionError(err)) return
    // Evict now, and make every connection made before this moment prove itself before reuse.
    this.fatalErrors++
    this.discard(connection, 'fatal_error')
  }

  /**
   * Kills the statement running on a lent connection, if one is (its client went away):
   * from a fresh connection, so the caller's own statement then fails with
   * ER_QUERY_INTERRUPTED and the connection stays usable (abandoned-borrowers.ts). Returns
   * whether one was running.
   */
  killRunningStatement(connection: PoolConnection, why: string): boolean {
    return this.abandoned.killRunning(connection, why)
  }

  /**
   * The borrower went away (its client hung up): its borrows still waiting are taken out of
   * the queue and answered with BorrowerGoneError, never handed a connection, and the
   * statements running on connections lent to it are killed on the server (the connection
   * then stays usable, and goes back to the pool when its borrower releases it). Later
   * borrows for it are refused at once. Returns how many borrows were cancelled.
   */
  abandon(borrower: object): number {
    return this.abandoned.abandon(borrower)
  }

  /** Whether abandon() was called for this borrower. */
  isAbandoned(borrower: object | undefined): boolean {
    return this.abandoned.has(borrower)
  }

  /**
   * Whom the borrows made right now are for (currentBorrower, timedBorrower). Code that borrows
   * again for the same request after an await — a list's count and embeds — keeps it from the
   * handler's synchronous run and borrows through borrowAs, so those borrows are cancelled and
   * killed with the request and timed for it too.
   */
  attribution(): BorrowAttribution {
    return { borrower: this.currentBorrower, timed: this.timedBorrower }
  }

  /** Runs `borrow` (a synchronous call that borrows: pool.execute, getConnection) as a borrow for `attribution`'s request. */
  borrowAs<T>(attribution: BorrowAttribution, borrow: () => T): T {
    const { currentBorrower, timedBorrower } = this
    this.currentBorrower = attribution.borrower
    this.timedBorrower = attribution.timed
    try {
      return borrow()
    } finally {
      this.currentBorrower = currentBorrower
      this.timedBorrower = timedBorrower
    }
  }

  private markGone(state: ConnectionState, reason: string): void {
    if (state.goneReason) return
    state.goneReason = reason
    this.totals.countDestroyed(reason)
  }

  private sweepIdle(): void {
    if (!this.inner || this.closed) return
    for (const [connection, reason] of idleToRetire(idleConnections(this.inner), this.states, this.settings, Date.now())) {
      this.discard(connection, reason)
    }
    this.pump()
  }
}
