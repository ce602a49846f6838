import mysql, { type Connection, type PoolOptions } from 'mysql2'
import { connectionOptionsOf } from './health-connection'
import { errorCodeOf } from './connection-errors'
import { merged, parseGtidPosition, type GtidPosition } from './gtid-position'
import { judgeReplicaStatus, needsPrimaryReachability, normalizeStatusRow, type ReplicaStatusRow } from './replica-status'

export interface ReplicaHealthSettings {
  /** DB_REPLICA_MAX_LAG_MS. */
  maxLagMs: number
  /** Between probes while the replica serves: how late a lag above maxLagMs may be seen. */
  checkIntervalMs: number
  /** First re-probe after a failure; doubles per failed probe up to maxRetryMs. */
  firstRetryMs: number
  maxRetryMs: number
  /** A probe unanswered this long counts as failed (a frozen server answers nothing). */
  probeTimeoutMs: number
}

/** Probe every second while up; re-probe a failed replica after 250 ms, doubling to 10 s. */
export function replicaHealthSettings(maxLagMs: number): ReplicaHealthSettings {
  return { maxLagMs, checkIntervalMs: 1_000, firstRetryMs: 250, maxRetryMs: 10_000, probeTimeoutMs: 1_000 }
}

export interface HealthLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

/** The replica's state as the router and /metrics see it. */
export type NodeState = 'unknown' | 'up' | 'down'

/**
 * The health of one replica: `usable` is what the read router looks at on every read, so it
 * is a plain field. A probe — `SHOW REPLICA STATUS` (MariaDB's SHOW SLAVE STATUS) on a connection of its own, outside the
 * replica's pool, so it never queues behind reads — decides it (replica-status.ts has the
 * rules). A read that finds the replica failing (refused, dropped) takes it out at once
 * (reportFailure) instead of waiting for the next probe. While out it is re-probed with
 * backoff and comes back by itself. One log line per transition, never per probe.
 *
 * The probing account needs SLAVE MONITOR (MariaDB 10.5.9+) for
 * SHOW REPLICA STATUS (REPLICATION CLIENT on MySQL); without it the replica stays out, and the log says why.
 */
export class ReplicaHealth {
  state: NodeState = 'unknown'
  usable = false
  /** Seconds_Behind_Master at the last probe; null when unknown (or the replica unreachable). */
  lagSeconds: number | null = null
  reason = 'not probed yet'
  /**
   * The highest GTID position known applied here (read-your-writes, read-router.ts): from each
   * probe's @@gtid_slave_pos and from every MASTER_GTID_WAIT that succeeded. It only grows: an
   * older probe answer, or a wait for an older position, never lowers it.
   */
  appliedPosition: GtidPosition = new Map()
  private connection?: Connection
  private timer?: NodeJS.Timeout
  private retryMs: number
  /** Bumped by every failure report and by stop(): a probe started before one is not believed. */
  private generation = 0
  private probing = false
  private stopped = false
  private readonly options: mysql.ConnectionOptions

  constructor(
    readonly node: string,
    poolOptions: PoolOptions,
    private readonly settings: ReplicaHealthSettings,
    private readonly logger: HealthLogger,
    /** Asked only when the replica's own status cannot tell (replica-status.ts). */
    private readonly primaryReachable: () => Promise<boolean>
  ) {
    this.options = { ...connectionOptionsOf(poolOptions), connectTimeout: settings.probeTimeoutMs }
    this.retryMs = settings.firstRetryMs
  }

  start(): void {
    this.schedule(0)
  }

  stop(): void {
    this.stopped = true
    this.generation++
    clearTimeout(this.timer)
    this.dropConnection()
  }

  /** A read or borrow on this replica failed at the connection level: out now, probed again soon. */
  reportFailure(err: unknown): void {
    if (this.stopped) return
    this.generation++
    this.dropConnection()
    const wasDown = this.state === 'down'
    this.setDown(`read failed: ${errorCodeOf(err)}`, null)
    // Already down: its backoff goes on; just out of service, a first re-probe soon.
    if (!wasDown) this.schedule((this.retryMs = this.settings.firstRetryMs))
  }

  /** A read saw this replica reach `position` (MASTER_GTID_WAIT answered 0). */
  noteApplied(position: GtidPosition): void {
    this.appliedPosition = merged(this.appliedPosition, position)
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer)
    if (this.stopped) return
    this.timer = setTimeout(() => void this.probe(), delayMs).unref()
  }

  private async probe(): Promise<void> {
    if (this.probing || this.stopped) return
    this.probing = true
    const generation = this.generation
    try {
      const row = await this.readStatus()
      const applied = row ? await this.readAppliedPosition() : undefined
      const primaryReachable = needsPrimaryReachability(row) ? await this.primaryReachable() : undefined
      if (generation !== this.generation) return
      if (applied) this.noteApplied(applied)
      const verdict = judgeReplicaStatus(row, this.settings.maxLagMs, primaryReachable)
      if (verdict.usable) this.setUp(verdict.lagSeconds, verdict.note)
      else this.setDown(verdict.reason, verdict.lagSeconds)
    } catch (err) {
      this.dropConnection()
      if (generation === this.generation) this.setDown(`probe failed: ${errorCodeOf(err)}`, null)
    } finally {
      this.probing = false
    }
    if (this.usable) {
      this.retryMs = this.settings.firstRetryMs
      this.schedule(this.settings.checkIntervalMs)
    } else {
      this.schedule(this.retryMs)
      this.retryMs = Math.min(this.settings.maxRetryMs, this.retryMs * 2)
    }
  }

  private readStatus(): Promise<ReplicaStatusRow | undefined> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(Object.assign(new Error('probe timed out'), { code: 'PROBE_TIMEOUT' })), this.settings.probeTimeoutMs)
      this.openConnection().query('SHOW REPLICA STATUS', (err, rows) => {
        clearTimeout(timer)
        if (err) return reject(err)
        resolve(normalizeStatusRow((rows as Array<Record<string, unknown>>)[0]))
      })
    })
  }

  /**
   * `@@gtid_slave_pos`: what the SQL thread has applied (SHOW SLAVE STATUS shows it only in
   * SHOW ALL SLAVES STATUS). Undefined when it cannot say — MySQL has no such variable, its
   * GTIDs differ — which costs only waits a known position would have spared.
   */
  private readAppliedPosition(): Promise<GtidPosition | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // No answer in time: the connection may be wedged, and the next probe must not wait on it again.
        this.dropConnection()
        resolve(undefined)
      }, this.settings.probeTimeoutMs)
      // SHOW, not SELECT: a probe must not count as a read (Com_select) on the replica.
      this.openConnection().query("SHOW GLOBAL VARIABLES LIKE 'gtid_slave_pos'", (err, rows) => {
        clearTimeout(timer)
        const position = err ? undefined : (rows as Array<{ Value: unknown }>)[0]?.Value
        resolve(typeof position === 'string' ? parseGtidPosition(position) : undefined)
      })
    })
  }

  private setUp(lagSeconds: number | null, note: string | undefined): void {
    this.lagSeconds = lagSeconds
    this.reason = note ?? 'replicating'
    if (this.state === 'up') return void (this.usable = true)
    this.state = 'up'
    this.usable = true
    this.logger.info({ node: this.node, lagSeconds, note }, 'replica up: it gets reads')
  }

  private setDown(reason: string, lagSeconds: number | null): void {
    this.usable = false
    this.lagSeconds = lagSeconds
    this.reason = reason
    if (this.state === 'down') return
    this.state = 'down'
    this.logger.warn({ node: this.node, reason, lagSeconds }, 'replica down: its reads go to other replicas or the primary')
  }

  private openConnection(): Connection {
    if (!this.connection) {
      const connection = mysql.createConnection(this.options)
      // A dead socket reports here (an unhandled 'error' would crash the process); the next probe reconnects.
      connection.on('error', () => {
        if (this.connection === connection) this.connection = undefined
      })
      this.connection = connection
    }
    return this.connection
  }

  private dropConnection(): void {
    const connection = this.connection
    this.connection = undefined
    connection?.destroy()
  }
}
