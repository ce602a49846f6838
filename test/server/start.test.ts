import t from 'tap'
import { randomBytes } from 'node:crypto'
import mysql from 'mysql2/promise'
import { adminConnection, dropDatabase, TEST_SERVER_URL } from '../helper'
import { listeningUrl, startServer } from '../support/server-process'

/** A MariaDB account with a password, so the test can prove the password never reaches a log. */
async function createPasswordUser(t: { teardown(fn: () => unknown): void }, database: string) {
  const user = `lg_start_${randomBytes(3).toString('hex')}`
  const password = `pw-${randomBytes(8).toString('hex')}`
  const admin = await adminConnection()
  try {
    await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password])
    await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, 'localhost', password])
    for (const host of ['%', 'localhost']) {
      await admin.query(`GRANT ALL ON ${mysql.escapeId(database)}.* TO ?@?`, [user, host])
    }
  } finally {
    await admin.end()
  }
  t.teardown(async () => {
    const cleanup = await adminConnection()
    await cleanup.query('DROP USER IF EXISTS ?@?, ?@?', [user, '%', user, 'localhost'])
    await cleanup.end()
  })
  return { user, password }
}

t.test('start-up creates a missing database, migrates it, serves, and stops on SIGTERM', async (t) => {
  const database = `lg_test_start_${randomBytes(4).toString('hex')}`
  t.teardown(() => dropDatabase(database))
  const { user, password } = await createPasswordUser(t, database)
  const server = new URL(TEST_SERVER_URL)
  const databaseUrl = `mariadb://${user}:${password}@${server.hostname}:${server.port || 3306}/${database}`

  const child = startServer({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'trace' })
  t.teardown(() => child.kill('SIGKILL'))
  const base = await listeningUrl(child)

  const ready = await fetch(`${base}/health/ready`)
  t.equal(ready.status, 200, 'ready: the database exists and answers')
  const order = await fetch(`${base}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ bookId: 1, quantity: 1 })
  })
  t.equal(order.status, 404, 'the migrated schema is there (the book just does not exist)')

  const admin = await adminConnection(database)
  const [tables] = await admin.query('SHOW TABLES')
  const [migrations] = await admin.query('SELECT name FROM migrations')
  await admin.end()
  const names = (tables as Array<Record<string, string>>).map((row) => Object.values(row)[0])
  t.match(names.sort(), ['authors', 'books', 'lifeguard_idempotency_keys', 'migrations', 'orders'])
  t.match(migrations, [{ name: /^DomainSchema\d+$/ }])
  t.match(child.output.stdout, /"msg":"applied pending migrations"/)
  t.ok(
    child.output.stdout.includes(`"database":"mariadb://${user}:***@`),
    'the database in use is logged, with its password masked'
  )

  child.kill('SIGTERM')
  t.equal(await child.exited, 0, 'SIGTERM is a clean exit')
  t.match(child.output.stdout, /"msg":"shutting down gracefully"/)
  const everything = child.output.stdout + child.output.stderr
  t.notMatch(everything, password, 'the password appears nowhere in the logs, even at trace level')
  t.equal(child.output.stderr, '', 'nothing on stderr')
})
