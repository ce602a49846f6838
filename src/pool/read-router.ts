import type { PoolConnection } from 'mysql2'
import type { GuardedPool } from './guarded-pool'
import type { ReplicaHealth } from './replica-health'
import { errorCodeOf, isConnectionError } from './connection-errors'
import { PoolUnavailableError, StatementDeadlineError } from './pool-errors'
import type { BorrowAttribution } from './pool-guard'
import { covers, type GtidPosition } from './gtid-position'

type Callback = (err: unknown, result?: unknown, fields?: unknown) => void
type ConnectionCallback = (err: Error | null, connection?: PoolConnection) => void

/** One replica: its own guarded pool (every guard rule holds per node) and its health. */
export interface ReplicaNode {
  /** The `node` label in /metrics and logs: host:port. */
  name: string
  pool: GuardedPool
  health: ReplicaHealth
}

/**
 * What a read needs of the replica that serves it, beyond being healthy; undefined: any
 * healthy replica. Read-your-writes builds on it ("and known to have applied position X",
 * hasPosition) but also waits, so a position is given per borrower (requirePosition), not as one.
 */
export type ReplicaRequirement = (node: ReplicaNode) => boolean

/** A position a read must see (read-your-writes): the text as the client sent it, and parsed. */
export interface ReadPosition {
  text: string
  position: GtidPosition
}

/**
 * How a read with a position was served: by a replica already known to have it (no wait), by
 * one after MASTER_GTID_WAIT said it has it, or by the primary (no replica had it in time).
 */
export type PositionOutcome = 'replica' | 'replica_after_wait' | 'primary'

/** Failures that say the node, not the statement, is the problem: the node goes out at once. */
const NODE_FAILURE_CODES = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', 'ER_HOST_IS_BLOCKED', 'ER_HOST_NOT_PRIVILEGED'])

function failsNode(err: unknown): boolean {
  return isConnectionError(err) || err instanceof StatementDeadlineError || NODE_FAILURE_CODES.has(errorCodeOf(err))
}

/**
 * Where a read outside a transaction runs: the one routing decision, which the REST fast path
 * (as a ConnectionLender: execute) and TypeORM's 'SLAVE*' borrows (getConnection, through
 * guarded-cluster.ts) both go through. A usable replica with the fewest borrows outstanding
 * (lent + waiting) serves, the first in order on a tie; none usable: the primary. When even
 * the least busy replica has every connection lent, a read goes to the primary if it has an
 * idle connection (so it is up, and serves at once): replicas first, but under load every
 * node's pool serves reads — with two replicas, three pools instead of two.
 *
 * A read whose replica fails under it (refused, dropped, no answer within the statement
 * deadline) takes that replica out (ReplicaHealth.reportFailure) and runs once more on the
 * next choice — another replica or the primary — so a replica lost under load costs no read.
 * A replica's acquire timeout (frozen, or saturated) moves the read to the primary without
 * taking the replica out: its probe decides that. Only plain reads come here, so running one
 * again is safe.
 *
 * Borrows on a replica are made for the request the primary guard attributes them to (the
 * HTTP layer sets that on app.poolGuard only), so Server-Timing and client aborts cover them.
 *
 * Read-your-writes: a borrower given a position (requirePosition) reads only on a replica
 * known to have applied it, or one that reaches it within positionWaitMs (MASTER_GTID_WAIT on
 * the connection its read then uses), else on the primary — never older than the position.
 */
export class ReadRouter {
  constructor(
    readonly primary: GuardedPool,
    readonly replicas: readonly ReplicaNode[],
    /** DB_REPLICA_WAIT_MS: how long a read with a position waits for a replica to reach it. */
    private readonly positionWaitMs = 100
  ) {}

  /**
   * The position each borrower's reads must see. Keyed by the borrower the primary guard
   * attributes borrows to (the HTTP layer's request), so the pool layer needs no HTTP type and
   * the entry goes with the request (a WeakMap: nothing to clean up).
   */
  private readonly positions = new WeakMap<object, ReadPosition>()

  /** MASTER_GTID_WAITs running per replica (borrowAtPosition bounds them). */
  private readonly waiting = new Map<ReplicaNode, number>()

  /** Reads with a position, by node and outcome (lifeguard_db_position_reads_total). */
  readonly positionReads = new Map<string, Map<PositionOutcome, number>>()

  /** Every later read borrowed for `borrower` sees `position`: on a replica that has it, else on the primary. */
  requirePosition(borrower: object, position: ReadPosition): void {
    if (!this.positions.has(borrower)) this.positionBorrowers++
    this.positions.set(borrower, position)
  }

  /** `borrower` is done (its response is out): its reads no longer hold unattributed ones to the primary. */
  releasePosition(borrower: object): void {
    if (this.positions.delete(borrower)) this.positionBorrowers--
  }

  /**
   * Borrowers with a position right now. A borrow attributed to no borrower (a hand-written
   * route's read after its handler's first await, a hook's read) may belong to one of them, so
   * while any is in flight such a borrow reads on the primary: never stale, at the cost of
   * primary reads while read-your-writes traffic runs.
   */
  private positionBorrowers = 0

  /** Where the next pick starts looking, so replicas that tie (idle ones) take turns. */
  private start = 0

  /** The replica for one read, or undefined for the primary (which has every position: no requirement keeps it out). */
  pick(requirement?: ReplicaRequirement, except?: ReplicaNode): ReplicaNode | undefined {
    const best = this.leastBusyReplica(requirement, except)
    if (best === undefined) return undefined
    // Spill-over: even the least busy replica has opened all the connections it may and lent
    // every one, and the primary has room (an idle connection, or one it may open) and fewer
    // borrows outstanding. A spilled read the primary fails runs on the replica (executeOn).
    const replica = best.node.pool.guard.stats()
    if (replica.idle === 0 && replica.total >= replica.max) {
      const primary = this.primary.guard.stats()
      if ((primary.idle > 0 || primary.total < primary.max) && primary.active + primary.pending < best.load) return undefined
    }
    return best.node
  }

  private leastBusyReplica(requirement?: ReplicaRequirement, except?: ReplicaNode): { node: ReplicaNode; load: number } | undefined {
    let best: ReplicaNode | undefined
    let bestLoad = Infinity
    const count = this.replicas.length
    this.start = (this.start + 1) % count
    for (let i = 0; i < count; i++) {
      const node = this.replicas[(this.start + i) % count]
      if (!node.health.usable || node === except || (requirement && !requirement(node))) continue
      const { active, pending } = node.pool.guard.stats()
      if (active + pending < bestLoad) {
        best = node
        bestLoad = active + pending
      }
    }
    return best === undefined ? undefined : { node: best, load: bestLoad }
  }

  /**
   * mysql2's pool.execute(sql, values, cb) for one read: borrow, run, release, on the node picked
   * (one that meets `requirement`, else the primary; a failover keeps the requirement).
   */
  execute(sql: unknown, values: unknown, callback: Callback, requirement?: ReplicaRequirement): void {
    const attribution = this.primary.guard.attribution()
    const wanted = this.positionOf(attribution)
    if (!wanted) return this.executeOn(this.pick(requirement), sql, values, callback, attribution, requirement, true)
    if (wanted === 'primary') return this.executeOn(undefined, sql, values, callback, attribution, requirement, false)
    const has = this.hasPosition(wanted, requirement)
    const known = this.pick(has)
    if (known) {
      this.count(known.name, 'replica')
      return this.executeOn(known, sql, values, callback, attribution, has, true)
    }
    this.borrowAtPosition(wanted, attribution, requirement, (err, connection, node) => {
      if (err) return callback(err)
      if (!connection) return this.executeOn(undefined, sql, values, callback, attribution, requirement, false)
      connection.execute(sql as string, values as never, (err, result, fields) => {
        connection.release()
        if (!err || !this.movesAway(node!, err, attribution)) return callback(err, result, fields)
        this.count('primary', 'primary')
        this.executeOn(undefined, sql, values, callback, attribution, requirement, false)
      })
    })
  }

  /** mysql2's pool.getConnection(cb) for a read session (TypeORM's createQueryRunner('slave')). */
  getConnection(callback: ConnectionCallback, requirement?: ReplicaRequirement): void {
    const attribution = this.primary.guard.attribution()
    const wanted = this.positionOf(attribution)
    if (!wanted) return this.borrowOn(this.pick(requirement), callback, attribution, requirement, true)
    if (wanted === 'primary') return this.borrowOn(undefined, callback, attribution, requirement, false)
    const has = this.hasPosition(wanted, requirement)
    const known = this.pick(has)
    if (known) {
      this.count(known.name, 'replica')
      return this.borrowOn(known, callback, attribution, has, true)
    }
    this.borrowAtPosition(wanted, attribution, requirement, (err, connection) => {
      if (err) return callback(err as Error)
      if (!connection) return this.borrowOn(undefined, callback, attribution, requirement, false)
      callback(null, connection)
    })
  }

  /** The position the borrow must see; 'primary' for a borrow nobody is attributed while positions are in flight. */
  private positionOf(attribution: BorrowAttribution): ReadPosition | 'primary' | undefined {
    if (attribution.borrower === undefined) return this.positionBorrowers > 0 ? 'primary' : undefined
    return this.positions.get(attribution.borrower)
  }

  /** `requirement`, and known (from probes and earlier waits) to have applied `wanted`: no wait needed. */
  private hasPosition(wanted: ReadPosition, requirement: ReplicaRequirement | undefined): ReplicaRequirement {
    return (node) => covers(node.health.appliedPosition, wanted.position) && (!requirement || requirement(node))
  }

  /**
   * No replica is known to have `wanted`: borrow one from the usual pick and ask it to wait
   * for the position, bounded (MASTER_GTID_WAIT: 0 once applied, -1 at the timeout). The
   * read must run on that same connection — what it waited on is what it has seen — so the
   * connection is handed on; no connection (none usable, a timeout, a failure): the primary.
   */
  private borrowAtPosition(
    wanted: ReadPosition,
    attribution: BorrowAttribution,
    requirement: ReplicaRequirement | undefined,
    done: (err: unknown, connection?: PoolConnection, node?: ReplicaNode) => void
  ): void {
    const node = this.pick(requirement)
    const toPrimary = () => {
      this.count('primary', 'primary')
      done(null)
    }
    if (!node) return toPrimary()
    // At most half a replica's connections wait at once: positions it cannot reach soon (a
    // client may send any) must not take its pool from the reads it can serve.
    const waiting = this.waiting.get(node) ?? 0
    if (waiting >= Math.max(1, Math.floor(node.pool.guard.stats().max / 2))) return toPrimary()
    this.waiting.set(node, waiting + 1)
    const waitDone = () => this.waiting.set(node, (this.waiting.get(node) ?? 1) - 1)
    node.pool.guard.borrowAs(attribution, () =>
      node.pool.getConnection((err, connection) => {
        if (err) {
          waitDone()
          return this.movesAway(node, err, attribution) ? toPrimary() : done(err)
        }
        connection!.query('SELECT MASTER_GTID_WAIT(?, ?) AS waited', [wanted.text, this.positionWaitMs / 1000], (err, rows) => {
          waitDone()
          const waited = err ? undefined : (rows as Array<{ waited: unknown }>)[0]?.waited
          // NULL (not a replica, or an argument it refused) is not "caught up".
          if (waited === null || waited === undefined || Number(waited) !== 0) {
            connection!.release()
            if (err && node.pool.guard.isAbandoned(attribution.borrower)) return done(err) // nobody waits for the answer
            // Any other failure of the wait still has a place to read: the primary.
            if (err && failsNode(err)) node.health.reportFailure(err)
            return toPrimary()
          }
          node.health.noteApplied(wanted.position)
          this.count(node.name, 'replica_after_wait')
          done(null, connection!, node)
        })
      })
    )
  }

  private count(node: string, outcome: PositionOutcome): void {
    let byOutcome = this.positionReads.get(node)
    if (!byOutcome) this.positionReads.set(node, (byOutcome = new Map()))
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1)
  }

  private executeOn(
    node: ReplicaNode | undefined,
    sql: unknown,
    values: unknown,
    callback: Callback,
    attribution: BorrowAttribution,
    requirement: ReplicaRequirement | undefined,
    mayMove: boolean
  ): void {
    this.runOn(node, (pool, done) => pool.execute(sql as string, values as never, done), callback, attribution, requirement, mayMove)
  }

  private borrowOn(
    node: ReplicaNode | undefined,
    callback: ConnectionCallback,
    attribution: BorrowAttribution,
    requirement: ReplicaRequirement | undefined,
    mayMove: boolean
  ): void {
    this.runOn(node, (pool, done) => pool.getConnection(done), callback as Callback, attribution, requirement, mayMove)
  }

  /**
   * Runs `run` (an execute or a borrow) on `node`'s pool, the primary's when undefined, for
   * `attribution`; while `mayMove`, a failure runs it once more where nextAfterFailure says.
   */
  private runOn(
    node: ReplicaNode | undefined,
    run: (pool: GuardedPool, done: Callback) => void,
    callback: Callback,
    attribution: BorrowAttribution,
    requirement: ReplicaRequirement | undefined,
    mayMove: boolean
  ): void {
    const pool = node?.pool ?? this.primary
    pool.guard.borrowAs(attribution, () =>
      run(pool, (err, result, fields) => {
        const next = err && mayMove ? this.nextAfterFailure(node, err, attribution, requirement) : null
        if (next === null) return callback(err, result, fields)
        this.runOn(next, run, callback, attribution, requirement, false)
      })
    )
  }

  /** Where a read that failed on `node` (undefined: the primary) runs again: a node, undefined for the primary, or null to answer the failure. */
  private nextAfterFailure(
    node: ReplicaNode | undefined,
    err: unknown,
    attribution: BorrowAttribution,
    requirement: ReplicaRequirement | undefined
  ): ReplicaNode | undefined | null {
    if (!node) return this.replicaAfterPrimaryFailed(err, attribution, requirement) ?? null
    return this.movesAway(node, err, attribution) ? this.pick(requirement, node) : null
  }

  /**
   * A read the primary failed (down, or the connection lost) runs once on a usable replica, if
   * there is one: it went to the primary by spill-over, or as the last resort of a read whose
   * replicas were out a moment ago (then there is none, and the primary's error stands).
   */
  private replicaAfterPrimaryFailed(err: unknown, attribution: BorrowAttribution, requirement: ReplicaRequirement | undefined): ReplicaNode | undefined {
    if (!failsNode(err) || this.primary.guard.isAbandoned(attribution.borrower)) return undefined
    return this.leastBusyReplica(requirement)?.node
  }

  /** Whether a failed read on `node` runs again elsewhere; takes the node out when it is the node's fault. */
  private movesAway(node: ReplicaNode, err: unknown, attribution: BorrowAttribution): boolean {
    if (node.pool.guard.isAbandoned(attribution.borrower)) return false // nobody waits for the answer
    if (failsNode(err)) {
      node.health.reportFailure(err)
      return true
    }
    return err instanceof PoolUnavailableError && err.reason === 'acquire_timeout'
  }
}
