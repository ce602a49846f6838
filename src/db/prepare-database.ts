import mysql from 'mysql2/promise'
import { DataSource } from 'typeorm'
import type { Config } from '../config'
import { dataSourceOptions, parseDatabaseUrl } from './data-source-options'

/** Creates the configured database when it does not exist yet (start-up and tests). */
export async function ensureDatabase(config: Config): Promise<void> {
  const { host, port, username, password, database } = parseDatabaseUrl(config.DATABASE_URL)
  const connection = await mysql.createConnection({ host, port, user: username, password })
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`
    )
  } finally {
    await connection.end()
  }
}

/** Runs pending migrations on a short-lived DataSource of their own; returns their names. */
export async function runPendingMigrations(config: Config): Promise<string[]> {
  const dataSource = new DataSource({ ...dataSourceOptions(config), poolSize: 1 })
  await dataSource.initialize()
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' })
    return applied.map((migration) => migration.name)
  } finally {
    await dataSource.destroy()
  }
}
