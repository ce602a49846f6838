import createError from '@fastify/error'
import type { FastifyBaseLogger } from 'fastify'
import type { DataSource, EntityManager, QueryRunner } from 'typeorm'
import type { PoolConnection } from 'mysql2'
import type { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver'
import { clusterOf, guardOf, type Statement } from './pooled-query'
import { executeOnRunner } from './runner-execute'

/**
 * The client closed the connection before its response: the transaction is rolled back.
 * 499 is nginx's "client closed request"; nobody is left to read it.
 */
export const ClientClosedRequestError = createError(
  'LG_CLIENT_CLOSED_REQUEST',
  'the client closed the connection before the response was sent; the transaction was rolled back',
  499
)

/** A programming error: the transaction was used after its response went out. */
export const TransactionFinishedError = createError(
  'LG_TRANSACTION_FINISHED',
  'the request transaction has already been committed or rolled back',
  500
)

export type TransactionOutcome = 'commit' | 'rollback'

/**
 * One request's transaction on one pooled connection. The connection is borrowed on the
 * first `manager()` call (a route that never touches the database never waits for the
 * pool), and `finish()` commits or rolls back and gives it back exactly once, however
 * often and from wherever it is called.
 *
 * Only the code that knows the handler has stopped using the connection may call
 * `finish()`: a ROLLBACK sent while the handler still issues queries could interleave
 * with them on the same connection. A client abort therefore only sets `aborted`, which
 * makes the handler's next query fail fast; the scope finishes once the handler settles.
 */
export class RequestTransaction {
  /** Set when the client went away (abort()): no more queries run, and the outcome is rollback. */
  aborted = false
  /**
   * With replicas only: the primary's GTID position right after this transaction's COMMIT
   * (@@gtid_binlog_pos, read on its own connection before the release), for read-your-writes
   * (src/http/read-your-writes.ts). Not the session's @@last_gtid: a transaction that wrote
   * nothing leaves that at an older transaction of whichever request used the connection
   * before, while what it read (and answered) may be newer; the binlog position covers both.
   */
  position: string | undefined
  private runner: QueryRunner | undefined
  private opening: Promise<EntityManager> | undefined
  private finishing: Promise<void> | undefined
  private settling = false

  constructor(
    readonly dataSource: DataSource,
    private readonly log: FastifyBaseLogger
  ) {}

  /**
   * The client went away: no further query runs, and the one running now is killed on the
   * server rather than left to finish work nobody reads (its error ends the handler sooner).
   */
  abort(): void {
    if (this.aborted) return
    this.aborted = true
    const connection = (this.runner as { databaseConnection?: PoolConnection } | undefined)?.databaseConnection
    // Not while settling: a COMMIT killed halfway may have been durable already, and would be reported as rolled back.
    if (connection && !this.settling) guardOf(this.dataSource)?.killRunningStatement(connection, 'client_aborted')
  }

  get isFinished(): boolean {
    return this.finishing !== undefined
  }

  /** The transaction's EntityManager; borrows the connection and BEGINs on first call. */
  manager(): Promise<EntityManager> {
    if (this.finishing) return Promise.reject(new TransactionFinishedError())
    if (this.aborted) return Promise.reject(new ClientClosedRequestError())
    this.opening ??= this.open()
    return this.opening
  }

  /**
   * Runs one prepared statement on the transaction's connection (borrowing it and BEGINning
   * on first use, like `manager()`), with the same abort rule as the EntityManager's queries.
   */
  async execute<Row>(statement: Statement, values: unknown[]): Promise<Row[]> {
    await this.manager()
    if (this.aborted && !this.settling) throw new ClientClosedRequestError()
    return executeOnRunner<Row>(this.runner!, statement, values)
  }

  /**
   * Runs `work` in a nested transaction on the same connection: TypeORM's QueryRunner
   * nests with SAVEPOINT, so a failing `work` undoes only its own writes, and a pool of
   * one connection cannot deadlock on it (a `dataSource.transaction()` here would wait
   * for a second connection).
   */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const manager = await this.manager()
    return manager.transaction(work)
  }

  /**
   * Commits (or rolls back) and releases the connection. The first caller gets the
   * commit's error, if any; later calls resolve once the first has finished.
   */
  finish(outcome: TransactionOutcome): Promise<void> {
    if (this.finishing) return this.finishing.then(ignore, ignore)
    this.finishing = this.settle(outcome)
    return this.finishing
  }

  private async open(): Promise<EntityManager> {
    const runner = this.dataSource.createQueryRunner('master')
    this.runner = runner
    this.stopQueriesAfterAbort(runner)
    // Borrow first, in the caller's own turn (TypeORM's startTransaction borrows only after an
    // await): the pool guard attributes a borrow to the request whose handler runs at that
    // moment (Server-Timing; src/pool/pool-guard.ts, timedBorrower). The same connection then
    // serves the BEGIN.
    await runner.connect()
    await runner.startTransaction()
    return runner.manager
  }

  private stopQueriesAfterAbort(runner: QueryRunner) {
    const query = runner.query.bind(runner)
    runner.query = ((...args: Parameters<QueryRunner['query']>) => {
      if (this.aborted && !this.settling) return Promise.reject(new ClientClosedRequestError())
      return query(...args)
    }) as QueryRunner['query']
  }

  private async settle(outcome: TransactionOutcome): Promise<void> {
    if (!this.opening || !this.runner) return // never used: nothing was borrowed
    const runner = this.runner
    // A borrow still waiting for the pool would otherwise land on a released runner and leak.
    const began = await this.opening.then(
      () => true,
      () => false
    )
    this.settling = true
    try {
      // No BEGIN went through (no connection in time, or START TRANSACTION failed): nothing to undo.
      if (!began || !runner.isTransactionActive) return
      if (outcome === 'commit' && !this.aborted) await this.commit(runner)
      else await this.rollback(runner)
    } finally {
      await runner.release()
    }
  }

  private async commit(runner: QueryRunner) {
    const depth = transactionDepthOf(runner)
    if (depth !== 1) {
      // A nested transaction was started and never ended: its writes are not trustworthy.
      await this.rollback(runner)
      throw new Error(`a nested transaction was left open (depth ${depth}); rolled back`)
    }
    try {
      await runner.commitTransaction()
    } catch (err) {
      await this.rollback(runner)
      throw err
    }
    // One round trip, only with replicas. MariaDB could report the position in COMMIT's OK packet
    // (session tracking), but TypeORM's commitTransaction() drops that packet.
    if (clusterOf(this.dataSource)) this.position = await positionAfterCommit(runner)
  }

  private async rollback(runner: QueryRunner) {
    try {
      // A plain ROLLBACK ends the whole transaction whatever savepoint depth it is at;
      // rollbackTransaction() would only go back to the innermost savepoint.
      await runner.query('ROLLBACK')
    } catch (err) {
      // The connection is most likely dead; mysql2 drops a connection after a fatal error.
      this.log.warn({ err }, 'rollback of the request transaction failed')
    }
  }
}

function ignore() {}

/** The primary's binlog position; a failure here loses only the position, never the committed write. */
async function positionAfterCommit(runner: QueryRunner): Promise<string | undefined> {
  try {
    const rows = (await runner.query('SELECT @@gtid_binlog_pos AS position')) as Array<{ position: unknown }>
    return typeof rows[0]?.position === 'string' ? rows[0].position : undefined
  } catch {
    return undefined
  }
}

/** TypeORM keeps the savepoint depth protected; commit needs it to refuse an unbalanced nest. */
function transactionDepthOf(runner: QueryRunner): number {
  return (runner as unknown as { transactionDepth: number }).transactionDepth
}
