import mysql, { type ConnectionOptions } from 'mysql2'

export interface KillLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

/** Unknown thread: the statement and its session are gone already. */
const ER_NO_SUCH_THREAD = 1094
const FIRST_RETRY_MS = 250
const MAX_RETRY_MS = 5_000
/** After this, a server that never answered again is someone else's problem (it restarted or is gone). */
const GIVE_UP_AFTER_MS = 10 * 60_000

/**
 * Kills a statement whose client gave up on it (the statement deadline, a client that went
 * away), from a fresh connection of its own: the statement's own connection is destroyed or
 * busy. A frozen server cannot be asked now, so it is asked again with backoff until it
 * answers: `KILL QUERY` then stops the statement the moment the server runs again, instead
 * of letting it finish work whose answer nobody reads.
 */
export class StatementKiller {
  private readonly timers = new Set<NodeJS.Timeout>()
  private closed = false

  constructor(
    private readonly options: ConnectionOptions,
    private readonly logger: KillLogger
  ) {}

  kill(threadId: number | null | undefined, why: string): void {
    if (threadId === null || threadId === undefined || this.closed) return
    this.attempt(Number(threadId), why, Date.now() + GIVE_UP_AFTER_MS, FIRST_RETRY_MS)
  }

  close(): void {
    this.closed = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
  }

  private attempt(threadId: number, why: string, giveUpAt: number, delayMs: number): void {
    if (this.closed) return
    const connection = mysql.createConnection({ ...this.options, connectTimeout: Math.min(MAX_RETRY_MS, delayMs * 4) })
    connection.on('error', () => {}) // answered through the query callback below
    connection.query(`KILL QUERY ${threadId}`, (err) => {
      connection.destroy()
      const errno = (err as { errno?: number } | null)?.errno
      if (!err || errno === ER_NO_SUCH_THREAD) {
        return this.logger.info({ threadId, why, gone: errno === ER_NO_SUCH_THREAD }, 'killed the statement nobody waits for')
      }
      if (Date.now() >= giveUpAt) return this.logger.warn({ threadId, why, code: (err as { code?: string }).code }, 'gave up killing a statement')
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        this.attempt(threadId, why, giveUpAt, Math.min(MAX_RETRY_MS, delayMs * 2))
      }, delayMs).unref()
      this.timers.add(timer)
    })
  }
}
