import type { PoolConnection } from 'mysql2'
import type { ConnectionState } from './connection-state'
import type { GuardSettings } from './guard-settings'
import { StatementDeadlineError } from './pool-errors'

/** What the deadline needs of the guard: its lent connections, and how to close one and kill its query. */
export interface DeadlineHost {
  readonly borrowed: ReadonlySet<PoolConnection>
  stateOf(connection: PoolConnection): ConnectionState
  /** Close the connection for good, without waking waiters (pump() does, once per check). */
  discard(connection: PoolConnection, reason: string): void
  kill(threadId: number | null | undefined, why: string): void
  pump(): void
}

export interface DeadlineLogger {
  warn(obj: object, msg: string): void
}

/**
 * The client-side statement deadline. A statement with no answer within it: the server is
 * frozen, cut off, or slower than anyone waits for. Its caller gets a 503 now, the connection
 * is destroyed (its socket may answer late, or never), and the query is killed as soon as the
 * server answers again. One timer for all statements, not one per statement: get-by-id runs
 * thousands a second.
 */
export class StatementDeadline {
  private timer?: NodeJS.Timeout

  constructor(
    private readonly settings: Pick<GuardSettings, 'statementDeadlineMs' | 'deadlineCheckIntervalMs'>,
    private readonly host: DeadlineHost,
    private readonly logger: DeadlineLogger
  ) {}

  /** Starts checking, unless the deadline is off. */
  start(): void {
    if (this.settings.statementDeadlineMs <= 0 || this.timer) return
    this.timer = setInterval(() => this.enforce(), this.settings.deadlineCheckIntervalMs).unref()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /** Fails, closes and kills every lent connection's statement that is past the deadline. */
  enforce(now = Date.now()): void {
    const { statementDeadlineMs } = this.settings
    let expired = 0
    for (const connection of this.host.borrowed) {
      const running = this.host.stateOf(connection).running
      if (!running || now - running.startedAt < statementDeadlineMs) continue
      expired++
      this.host.discard(connection, 'statement_deadline')
      running.fail(new StatementDeadlineError(statementDeadlineMs))
      this.host.kill(connection.threadId, 'statement_deadline')
    }
    if (expired > 0) {
      this.logger.warn({ expired, statementDeadlineMs }, 'statements got no answer within the deadline; their connections were closed')
      this.host.pump()
    }
  }
}
