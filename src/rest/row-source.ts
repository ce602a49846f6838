import type { FastifyRequest } from 'fastify'
import type { DataSource, QueryRunner } from 'typeorm'
import { executePooled, guardOf, poolOf, readPoolOf, type ConnectionLender, type StatementRunner } from '../db/pooled-query'
import { executeOnRunner } from '../db/runner-execute'
import type { BorrowAttribution, PoolGuard } from '../pool/pool-guard'
import type { EntityEvents } from './entity-events'
import type { RestField } from './resource-model'
import type { RowMapper } from './row-mapper'

type Row = Record<string, unknown>

/** Where one read's statements run, and how its raw rows become response JSON. */
export interface RowAccess {
  run: StatementRunner
  /** Raw rows (as mysql2 returns them) to JSON rows, in place. */
  json(rows: Row[], fields: readonly RestField[], mapRows: RowMapper): Row[] | Promise<Row[]>
  /** The QueryRunner the statements run on, when there is one (entity events need it). */
  runner?: QueryRunner
}

/** Opens access for one read (a GET) and closes it afterwards. */
export interface RowSource {
  read<T>(work: (access: RowAccess) => Promise<T>): Promise<T>
}

const mapOnly: RowAccess['json'] = (rows, _fields, mapRows) => mapRows(rows)

/**
 * The fast path: each statement borrows a pooled connection and gives it back, rows are
 * mapped by the columns' codecs. For entities with listeners or subscribers, a read runs on
 * one QueryRunner instead — so TypeORM's query events fire — and AfterLoad runs on the rows.
 *
 * `read` is called in the handler's synchronous run, where the pool guard knows whose borrows
 * are made (src/http/client-abort.ts, server-timing.ts); every borrow of the read, also after
 * its first await (a count, an embed), is made for that request: cancelled and killed when its
 * client hangs up, and timed for it.
 */
export function rowSourceFor(dataSource: DataSource, events: EntityEvents | undefined): RowSource {
  const guard = guardOf(dataSource)
  if (!events) {
    // With replicas, the read router (it borrows for the primary guard's attribution too).
    const pool = readPoolOf(dataSource)
    const access: RowAccess = { run: (statement, values) => executePooled(pool, statement, values), json: mapOnly }
    if (!guard) return { read: (work) => work(access) }
    return { read: (work) => work(attributedPoolAccess(pool, guard, guard.attribution())) }
  }
  return {
    async read(work) {
      const attribution = guard?.attribution()
      // 'slave': a replica when there are some (TypeORM's 'SLAVE*', routed like the fast path), else the pool.
      const runner = dataSource.createQueryRunner('slave')
      try {
        // Borrowed here, for the request: TypeORM borrows inside the connect() call.
        if (guard) await guard.borrowAs(attribution!, () => runner.connect())
        return await work(runnerAccess(runner, events))
      } finally {
        await runner.release()
      }
    }
  }
}

/** poolAccess whose every borrow is made for one request (PoolGuard.borrowAs). */
function attributedPoolAccess(pool: ConnectionLender, guard: PoolGuard, attribution: BorrowAttribution): RowAccess {
  return { run: (statement, values) => guard.borrowAs(attribution, () => executePooled(pool, statement, values)), json: mapOnly }
}

/** Access on a QueryRunner (a request transaction's, or one of its own), with entity events when the entity has them. */
export function runnerAccess(runner: QueryRunner, events: EntityEvents | undefined): RowAccess {
  return {
    runner,
    run: (statement, values) => executeOnRunner(runner, statement, values),
    json: events ? (rows, fields, mapRows) => events.afterLoad(runner, rows, fields, mapRows) : mapOnly
  }
}

/** Access on the pool, without entity events (the fast path of a single-statement write). */
export function poolAccess(dataSource: DataSource): RowAccess {
  const pool = poolOf(dataSource)
  return { run: (statement, values) => executePooled(pool, statement, values), json: mapOnly }
}

/**
 * Access on the request transaction (src/db/transaction-scope.ts): statements run on its
 * connection — with the transaction's abort rule — and entity events get its QueryRunner.
 */
export async function transactionAccess(request: FastifyRequest, events: EntityEvents | undefined): Promise<RowAccess> {
  const runner = (await request.tx()).queryRunner!
  return { ...runnerAccess(runner, events), run: request.txExecute.bind(request) as StatementRunner }
}

/**
 * The route config of a generated write that runs in the request transaction. Lifeguard's
 * own statements never call `app.db.transaction()`, so joining it is left off (it costs an
 * AsyncLocalStorage: transaction-scope.ts); entity listeners and subscribers are user code
 * that may, so with entity events it stays on.
 */
export function requestTransactionConfig(events: EntityEvents | undefined) {
  return { transactional: { joinsDataSourceTransactions: events !== undefined } }
}
