import mysql from 'mysql2/promise'
import { DataSource, MigrationExecutor } from 'typeorm'
import type { Config } from '../config'
import { dataSourceOptions, parseDatabaseUrl } from './data-source-options'
import { serverConnection } from './server-connection'

/**
 * The config that database creation and migrations run with: MIGRATIONS_DATABASE_URL's account
 * (falling back to DATABASE_URL's) on the app's database, so the app's own account may be
 * DML-only. config.ts has already refused a migrations URL that names another database.
 */
export function migrationsConfig(config: Config): Config {
  if (config.MIGRATIONS_DATABASE_URL === undefined) return config
  const url = new URL(config.MIGRATIONS_DATABASE_URL)
  url.pathname = '/' + encodeURIComponent(parseDatabaseUrl(config.DATABASE_URL).database)
  return { ...config, DATABASE_URL: url.toString() }
}

/**
 * Creates the configured database when it does not exist yet (start-up and tests), with the
 * migrations account. It looks first: `CREATE DATABASE IF NOT EXISTS` needs the CREATE
 * privilege even when the database exists, which a least-privilege account does not have.
 */
export async function ensureDatabase(appConfig: Config): Promise<void> {
  const config = migrationsConfig(appConfig)
  const { database } = parseDatabaseUrl(config.DATABASE_URL)
  const connection = await serverConnection(config)
  try {
    const [existing] = await connection.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = ?', [
      database
    ])
    if ((existing as unknown[]).length > 0) return
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`
    )
  } finally {
    await connection.end()
  }
}

/** Longest a starting instance waits for another one to finish migrating. */
export const MIGRATION_LOCK_TIMEOUT_S = 60

/**
 * Runs pending migrations on a short-lived DataSource of their own, with the migrations
 * account (migrationsConfig); returns their names.
 * TypeORM takes no lock of its own on MySQL, so instances started together would race to
 * apply the same migration: a named server lock (GET_LOCK, per database) lets one migrate
 * while the others wait, then find nothing pending.
 */
export async function runPendingMigrations(config: Config): Promise<string[]> {
  // Two connections: one holds the lock, the other runs the migrations.
  const dataSource = new DataSource({ ...dataSourceOptions(migrationsConfig(config)), poolSize: 2 })
  await dataSource.initialize()
  const lockHolder = dataSource.createQueryRunner()
  const lockName = `lifeguard:migrations:${dataSource.driver.database}`
  try {
    const [{ acquired }] = await lockHolder.query('SELECT GET_LOCK(?, ?) AS acquired', [
      lockName,
      MIGRATION_LOCK_TIMEOUT_S
    ])
    if (Number(acquired) !== 1) {
      throw new Error(`another instance kept the migration lock for more than ${MIGRATION_LOCK_TIMEOUT_S} s`)
    }
    const applied = await dataSource.runMigrations({ transaction: 'each' })
    return applied.map((migration) => migration.name)
  } finally {
    // Ending the session frees the lock too; releasing first keeps waiters from waiting on the close.
    await lockHolder.query('DO RELEASE_LOCK(?)', [lockName]).catch(() => undefined)
    await lockHolder.release()
    await dataSource.destroy()
  }
}

/** MIGRATIONS_RUN=false and the database is behind migrations/; the message is the one line an operator reads. */
export class PendingMigrationsError extends Error {
  override name = 'PendingMigrationsError'
  constructor(readonly pending: string[]) {
    const count = pending.length === 1 ? '1 migration is pending' : `${pending.length} migrations are pending`
    super(`${count} (${pending.join(', ')}); run \`npm run migration:run\` or start with MIGRATIONS_RUN=true`)
  }
}

/**
 * The names of migrations in migrations/ the database has not applied, read on a short-lived
 * DataSource. It only reads: TypeORM's showMigrations() would create the migrations table, and
 * with MIGRATIONS_RUN=false start-up must change nothing (the account may not even be allowed to).
 */
export async function pendingMigrations(config: Config): Promise<string[]> {
  const dataSource = new DataSource({ ...dataSourceOptions(migrationsConfig(config)), poolSize: 1 })
  await dataSource.initialize()
  try {
    const pending = await new MigrationExecutor(dataSource).getPendingMigrations()
    return pending.map((migration) => migration.name)
  } finally {
    await dataSource.destroy()
  }
}

/** Start-up with MIGRATIONS_RUN=false: throws a PendingMigrationsError unless the database is up to date. */
export async function refusePendingMigrations(config: Config): Promise<void> {
  const pending = await pendingMigrations(config)
  if (pending.length > 0) throw new PendingMigrationsError(pending)
}
