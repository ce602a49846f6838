import mysql from 'mysql2/promise'
import { DataSource } from 'typeorm'
import type { Config } from '../config'
import { connectTimeoutMs, dataSourceOptions, parseDatabaseUrl } from './data-source-options'

/**
 * Creates the configured database when it does not exist yet (start-up and tests). It looks
 * first: `CREATE DATABASE IF NOT EXISTS` needs the CREATE privilege even when the database
 * exists, which a least-privilege application account does not have.
 */
export async function ensureDatabase(config: Config): Promise<void> {
  const { host, port, username, password, database } = parseDatabaseUrl(config.DATABASE_URL)
  // The same connect timeout as the pool's: nobody waits longer than the acquire timeout for a connection.
  const connection = await mysql.createConnection({ host, port, user: username, password, connectTimeout: connectTimeoutMs(config) })
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
 * Runs pending migrations on a short-lived DataSource of their own; returns their names.
 * TypeORM takes no lock of its own on MySQL, so instances started together would race to
 * apply the same migration: a named server lock (GET_LOCK, per database) lets one migrate
 * while the others wait, then find nothing pending.
 */
export async function runPendingMigrations(config: Config): Promise<string[]> {
  // Two connections: one holds the lock, the other runs the migrations.
  const dataSource = new DataSource({ ...dataSourceOptions(config), poolSize: 2 })
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
