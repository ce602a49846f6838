import 'reflect-metadata'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import mysql from 'mysql2/promise'
import type { FastifyInstance } from 'fastify'
import { loadConfig, type Config } from '../src/config'
import { buildApp, type BuildAppOptions } from '../src/app'
import { ensureDatabase } from '../src/db/prepare-database'
import { cloneTemplate, migratedTemplate } from './support/template-database'

type Tap = { teardown(fn: () => unknown): void; fullname?: string; name?: string }

/** The server every test talks to; override with TEST_DATABASE_URL (no database part). */
export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'mariadb://root@127.0.0.1:3306'

/**
 * A fresh, migrated database for one test file, dropped when the test ends. "Migrated" is a
 * copy of a template that ran the migrations once (support/template-database.ts): the same
 * tables and migrations rows, in a fraction of the time. Tests of migrating itself pass
 * `migrate: false` and run them for real.
 */
export async function createTestDatabase(t: Tap, options: { migrate?: boolean } = {}): Promise<Config> {
  const caller = path.basename(process.argv[1] ?? 'test', '.ts').replace(/\W+/g, '_').slice(0, 30)
  const name = `lg_test_${caller}_${randomBytes(4).toString('hex')}`
  const config = loadConfig({ DATABASE_URL: `${TEST_SERVER_URL}/${name}`, LOG_LEVEL: 'silent' })
  await ensureDatabase(config)
  t.teardown(() => dropDatabase(name))
  if (options.migrate !== false) await cloneTemplate(await migratedTemplate(TEST_SERVER_URL, adminConnection), name, adminConnection)
  return config
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = await adminConnection()
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(name)}`)
  } finally {
    await admin.end()
  }
}

/** A direct connection for checking what the server really holds, outside the app's pool. */
export async function adminConnection(database?: string) {
  const url = new URL(TEST_SERVER_URL)
  return mysql.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    database
  })
}

/** Builds the app on a fresh database; closed (pool destroyed) when the test ends. */
export async function buildTestApp(
  t: Tap,
  overrides: Partial<Config> = {},
  options: BuildAppOptions = {}
): Promise<FastifyInstance> {
  const config = { ...(await createTestDatabase(t)), ...overrides }
  const app = await buildApp(config, options)
  t.teardown(() => app.close())
  return app
}
