import type { DataSource } from 'typeorm'
import type { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver'
import { GuardedPool } from '../pool/guarded-pool'
import type { PoolGuard } from '../pool/pool-guard'
import { GuardedPoolCluster } from '../pool/guarded-cluster'

/**
 * The fast path: run one prepared statement on a connection borrowed from the pool TypeORM
 * created (wrapped by the pool guard, so its acquire deadline, validation, metrics and
 * retries still apply) and give the connection back. It skips TypeORM's QueryRunner,
 * which costs a noticeable share of a one-row request (see DESIGN.md "Performance facts").
 * Only mysql2's Pool surface is used: `execute(sql, values, cb)`, which borrows, runs and
 * releases exactly once (src/pool/guarded-pool.ts).
 */

/**
 * SQL text with `?` placeholders. Plain text, not mysql2's options object: mysql2 copies an
 * options object on every execute, which cost get-by-id about 7% of its throughput in bench runs.
 */
export type Statement = string

export interface ConnectionLender {
  execute(statement: Statement, values: unknown[], callback: (err: unknown, rows?: unknown) => void): void
}

/** Runs one prepared statement somewhere (the pool, or the request transaction's connection); resolves to the rows. */
export type StatementRunner = <Row = Record<string, unknown>>(statement: Statement, values: unknown[]) => Promise<Row[]>

/** The guarded cluster behind a DataSource with replicas (src/pool/guarded-cluster.ts), if it has one. */
export function clusterOf(dataSource: DataSource): GuardedPoolCluster | undefined {
  const cluster = (dataSource.driver as MysqlDriver).poolCluster as unknown
  return cluster instanceof GuardedPoolCluster ? cluster : undefined
}

/**
 * The primary's pool behind an initialised DataSource — writes go there — which lives as long
 * as the DataSource, so resolve it once. With replicas, TypeORM keeps no `pool`, only the cluster.
 */
export function poolOf(dataSource: DataSource): ConnectionLender {
  const pool = ((dataSource.driver as MysqlDriver).pool as ConnectionLender | undefined) ?? clusterOf(dataSource)?.primary
  if (!pool) throw new Error('the DataSource has no connection pool (not initialised, or an unguarded replication setup)')
  return pool
}

/**
 * Where a read outside a transaction runs: the pool itself when there are no replicas (the
 * same object as poolOf: nothing in between), else the read router (src/pool/read-router.ts).
 */
export function readPoolOf(dataSource: DataSource): ConnectionLender {
  return ((dataSource.driver as MysqlDriver).pool as ConnectionLender | undefined) ?? clusterOf(dataSource)?.router ?? poolOf(dataSource)
}

/** The primary's pool guard behind an initialised DataSource, when its pool is guarded (src/db/plugin.ts does that). */
export function guardOf(dataSource: DataSource): PoolGuard | undefined {
  const pool = (dataSource.driver as MysqlDriver).pool as unknown
  return pool instanceof GuardedPool ? pool.guard : clusterOf(dataSource)?.primary.guard
}

/** Executes `statement` with bound `values` as a prepared statement on a pooled connection; resolves to the rows. */
export function executePooled<Row>(pool: ConnectionLender, statement: Statement, values: unknown[]): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    pool.execute(statement, values, (err, rows) => (err ? reject(err) : resolve(rows as Row[])))
  })
}

/** A StatementRunner on the pool: each statement borrows its own connection. */
export function pooledRunner(pool: ConnectionLender): StatementRunner {
  return (statement, values) => executePooled(pool, statement, values)
}
