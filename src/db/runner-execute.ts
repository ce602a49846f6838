import { QueryFailedError, type QueryRunner } from 'typeorm'
import { BroadcasterResult } from 'typeorm/subscriber/BroadcasterResult'
import type { Statement } from './pooled-query'

interface StatementConnection {
  execute(statement: Statement, values: unknown[], callback: (err: unknown, rows?: unknown) => void): void
}

/**
 * Runs one statement as a *prepared* statement on a QueryRunner's connection — inside its
 * transaction — the way TypeORM's own `queryRunner.query()` runs SQL: the DataSource's logger
 * sees it, subscribers get beforeQuery/afterQuery, and a failure is a QueryFailedError. What
 * TypeORM's query() cannot do is reuse a server-side prepared statement (it sends text), and
 * read values in the binary protocol the fast paths' row mapping is written for.
 */
export async function executeOnRunner<Row>(runner: QueryRunner, statement: Statement, values: unknown[]): Promise<Row[]> {
  const connection = (await runner.connect()) as StatementConnection
  const sql = statement
  const { logger } = runner.connection
  logger.logQuery(sql, values, runner)
  await runner.broadcaster.broadcast('BeforeQuery', sql, values)
  const after = new BroadcasterResult()
  const startedAt = Date.now()
  try {
    const rows = await new Promise<Row[]>((resolve, reject) => {
      connection.execute(statement, values, (err, result) => (err ? reject(err) : resolve(result as Row[])))
    })
    runner.broadcaster.broadcastAfterQueryEvent(after, sql, values, true, Date.now() - startedAt, rows, undefined)
    return rows
  } catch (err) {
    logger.logQueryError(err as Error, sql, values, runner)
    runner.broadcaster.broadcastAfterQueryEvent(after, sql, values, false, undefined, undefined, err)
    throw new QueryFailedError(sql, values, err as Error)
  } finally {
    await after.wait()
  }
}
