import type { PoolConnection } from 'mysql2'
import type { GuardedPool } from './guarded-pool'
import type { ReplicaHealth } from './replica-health'
import { errorCodeOf, isConnectionError } from './connection-errors'
import { PoolUnavailableError, StatementDeadlineError } from './pool-errors'
import type { BorrowAttribution } from './pool-guard'

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
 * healthy replica. The place for read-your-writes: "a replica that has applied position X"
 * (its GTID), else the primary.
 */
export type ReplicaRequirement = (node: ReplicaNode) => boolean

/** Failures that say the node, not the statement, is the problem: the node goes out at once. */
const NODE_FAILURE_CODES = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', 'ER_HOST_IS_BLOCKED', 'ER_HOST_NOT_PRIVILEGED'])

function failsNode(err: unknown): boolean {
  return isConnectionError(err) || err instanceof StatementDeadlineError || NODE_FAILURE_CODES.has(errorCodeOf(err))
}

/**
 * Where a read outside a transaction runs: the one routing decision, which the REST fast path
 * (as a ConnectionLender: execute) and TypeORM's 'SLAVE*' borrows (getConnection, through
 * guarded-cluster.ts) both go through. A usable replica with the fewest borrows outstanding
 * (lent + waiting) serves, the first in order on a tie; none usable: the primary.
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
 */
export class ReadRouter {
  constructor(
    readonly primary: GuardedPool,
    readonly replicas: readonly ReplicaNode[]
  ) {}

  /** Where the next pick starts looking, so replicas that tie (idle ones) take turns. */
  private start = 0

  /** The replica for one read, or undefined for the primary. */
  pick(requirement?: ReplicaRequirement, except?: ReplicaNode): ReplicaNode | undefined {
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
    return best
  }

  /**
   * mysql2's pool.execute(sql, values, cb) for one read: borrow, run, release, on the node picked
   * (one that meets `requirement`, else the primary; a failover keeps the requirement).
   */
  execute(sql: unknown, values: unknown, callback: Callback, requirement?: ReplicaRequirement): void {
    this.executeOn(this.pick(requirement), sql, values, callback, this.primary.guard.attribution(), requirement, true)
  }

  /** mysql2's pool.getConnection(cb) for a read session (TypeORM's createQueryRunner('slave')). */
  getConnection(callback: ConnectionCallback, requirement?: ReplicaRequirement): void {
    this.borrowOn(this.pick(requirement), callback, this.primary.guard.attribution(), requirement, true)
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
    if (!node) return this.primary.guard.borrowAs(attribution, () => this.primary.execute(sql, values, callback))
    node.pool.guard.borrowAs(attribution, () =>
      node.pool.execute(sql, values, (err, result, fields) => {
        if (!err || !mayMove || !this.movesAway(node, err, attribution)) return callback(err, result, fields)
        this.executeOn(this.pick(requirement, node), sql, values, callback, attribution, requirement, false)
      })
    )
  }

  private borrowOn(
    node: ReplicaNode | undefined,
    callback: ConnectionCallback,
    attribution: BorrowAttribution,
    requirement: ReplicaRequirement | undefined,
    mayMove: boolean
  ): void {
    if (!node) return this.primary.guard.borrowAs(attribution, () => this.primary.getConnection(callback))
    node.pool.guard.borrowAs(attribution, () =>
      node.pool.getConnection((err, connection) => {
        if (!err || !mayMove || !this.movesAway(node, err, attribution)) return callback(err, connection)
        this.borrowOn(this.pick(requirement, node), callback, attribution, requirement, false)
      })
    )
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
