import t from 'tap'
import { randomBytes } from 'node:crypto'
import mysql from 'mysql2/promise'
import { loadConfig } from '../../src/config'
import { ensureDatabase, runPendingMigrations } from '../../src/db/prepare-database'
import { adminConnection, createTestDatabase, TEST_SERVER_URL } from '../helper'

t.test('start-up preparation works for an account that may use the database but not create one', async (t) => {
  const config = await createTestDatabase(t) // exists and is migrated, as in production
  const database = new URL(config.DATABASE_URL).pathname.slice(1)
  const user = `lg_app_${randomBytes(3).toString('hex')}`
  const password = randomBytes(8).toString('hex')
  const admin = await adminConnection()
  t.teardown(async () => {
    await admin.query('DROP USER IF EXISTS ?@?, ?@?', [user, '%', user, 'localhost'])
    await admin.end()
  })
  for (const host of ['%', 'localhost']) {
    await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, host, password])
    await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${mysql.escapeId(database)}.* TO ?@?`, [user, host])
  }
  const server = new URL(TEST_SERVER_URL)
  const appConfig = loadConfig({
    DATABASE_URL: `mariadb://${user}:${password}@${server.hostname}:${server.port || 3306}/${database}`
  })

  await t.resolves(ensureDatabase(appConfig), 'an existing database is left alone')
  t.same(await runPendingMigrations(appConfig), [], 'nothing pending, nothing to create')
})
