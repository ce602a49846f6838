import type { MixedList, EntitySchema } from 'typeorm'
import type { MysqlDataSourceOptions } from 'typeorm/driver/mysql/MysqlDataSourceOptions'
import type { Config } from '../config'
import { replicaUrls } from '../config-combinations'
import { migrationFiles, projectLayout } from './migration-files'
import { databaseTls } from './tls-options'
import { entities as domainEntities, subscribers as domainSubscribers } from '../../entities'

type EntityList = MixedList<Function | string | EntitySchema>

/** Where this code runs from (sources or dist/), for finding migrations. */
const LAYOUT = projectLayout(__dirname)

export interface DatabaseTarget {
  type: 'mysql' | 'mariadb'
  host: string
  port: number
  username: string
  password: string
  database: string
}

/** Splits DATABASE_URL into the parts TypeORM and mysql2 take. `mariadb://` selects TypeORM's mariadb dialect. */
export function parseDatabaseUrl(databaseUrl: string): DatabaseTarget {
  const url = new URL(databaseUrl)
  return {
    type: url.protocol === 'mariadb:' ? 'mariadb' : 'mysql',
    host: url.hostname || '127.0.0.1',
    port: url.port ? Number(url.port) : 3306,
    username: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'lifeguard'
  }
}

/**
 * The replicas' connection targets, from DATABASE_REPLICA_URLS: a URL without a database name
 * reads the primary's (a replica holds a copy of it; config-combinations.ts refuses another name).
 */
export function replicaTargets(config: Config): DatabaseTarget[] {
  const primary = parseDatabaseUrl(config.DATABASE_URL)
  return replicaUrls(config).map((url) => ({ ...parseDatabaseUrl(url), database: primary.database }))
}

/** A target without its dialect: what TypeORM's replication.master and .slaves take. */
function credentialsOf({ host, port, username, password, database }: DatabaseTarget) {
  return { host, port, username, password, database }
}

/** No one waits longer than the acquire timeout for a connection, so neither does a connect (at least 1 s). */
export function connectTimeoutMs(config: Config): number {
  return Math.max(1_000, config.DB_POOL_ACQUIRE_TIMEOUT_MS)
}

/**
 * Server-side prepared statements one connection keeps; mysql2 closes the least recently used
 * beyond it. mysql2's own default (16,000 per connection) lets a few connections exhaust the
 * server's *global* max_prepared_stmt_count (16,382 by default) with distinct list shapes, after
 * which no client of that server can prepare anything. The default keeps a whole pool near 4,000.
 */
export function preparedStatementsPerConnection(config: Config): number {
  return config.DB_PREPARED_STATEMENTS_PER_CONNECTION ?? Math.min(100, Math.max(8, Math.floor(4_000 / config.DB_POOL_SIZE)))
}

/**
 * The one place DataSource options are made, for the app (src/db/plugin.ts) and for the
 * TypeORM CLI (ormconfig.ts), so both talk to the same database the same way.
 * `driver` is the mysql2-compatible module TypeORM loads; the pool guard passes its wrapper.
 */
export function dataSourceOptions(
  config: Config,
  extra: { entities?: EntityList; subscribers?: Function[]; driver?: unknown; replicas?: DatabaseTarget[] } = {}
): MysqlDataSourceOptions {
  const target = parseDatabaseUrl(config.DATABASE_URL)
  return {
    ...target,
    // TypeORM's replication: writes, transactions and migrations take 'MASTER', reads outside a
    // transaction 'SLAVE*' (src/pool/guarded-cluster.ts picks which). Only the app passes
    // replicas: the CLI (ormconfig.ts) migrates and never needs them.
    ...(extra.replicas?.length ? { replication: { master: credentialsOf(target), slaves: extra.replicas.map(credentialsOf) } } : {}),
    entities: extra.entities ?? domainEntities,
    subscribers: extra.subscribers ?? domainSubscribers,
    // Only files that exist in migrations/ (migration-files.ts): never a stale copy left in dist/.
    migrations: migrationFiles(LAYOUT),
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    // DECIMAL stays a string from mysql2 (bigNumberStrings); money columns map it to a number
    // with a transformer. BIGINT would also arrive as a string: no entity uses one.
    supportBigNumbers: true,
    bigNumberStrings: true,
    poolSize: config.DB_POOL_SIZE,
    // mysql2's "long stack traces" capture a stack for every query TypeORM sends through
    // mysql2/promise: ~10% of the CPU of POST /orders in bench profiles. TypeORM rethrows
    // each failure as a QueryFailedError, whose own (async) stack names the caller anyway.
    trace: false,
    driver: extra.driver,
    // TypeORM hands `ssl` to mysql2's pool, whose options the guard's health connection and
    // statement killer reuse: every connection to the database is TLS, or none is.
    ssl: databaseTls(config),
    // Idle limits, the wait queue and its deadline are enforced by the pool guard (src/pool),
    // which mysql2 cannot do itself; what stays here is socket-level.
    extra: {
      connectTimeout: connectTimeoutMs(config),
      enableKeepAlive: true,
      keepAliveInitialDelay: 10_000,
      // JSON columns as text, parsed by the REST layer and by TypeORM alike: mysql2 would parse
      // MariaDB's only when the server sends extended metadata, and "abc" could not be told from abc.
      jsonStrings: true,
      maxPreparedStatements: preparedStatementsPerConnection(config)
    }
  } as MysqlDataSourceOptions
}
