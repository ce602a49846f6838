import t from 'tap'
import { DataSource } from 'typeorm'
import type { Config } from '../../src/config'
import { dataSourceOptions } from '../../src/db/data-source-options'
import { adminConnection, createTestDatabase } from '../helper'
import { listeningUrl, runServerToExit, startServer } from '../support/server-process'

// Issue 13 §6: start-up refuses with one clear line when migrations are pending and
// MIGRATIONS_RUN=false, or when an exposed entity's table or column is missing.

/** Far below runServerToExit's default: a server that wrongly starts is killed and fails the exit-code check. */
const REFUSAL_TIMEOUT_MS = 20_000

const databaseOf = (config: Config) => new URL(config.DATABASE_URL).pathname.slice(1)

async function appliedMigrations(database: string): Promise<string[]> {
  const admin = await adminConnection(database)
  try {
    const [rows] = await admin.query('SELECT name FROM migrations ORDER BY id')
    return (rows as Array<{ name: string }>).map((row) => row.name)
  } finally {
    await admin.end()
  }
}

async function tablesOf(database: string): Promise<string[]> {
  const admin = await adminConnection(database)
  try {
    const [rows] = await admin.query('SHOW TABLES')
    return (rows as Array<Record<string, string>>).map((row) => Object.values(row)[0]).sort()
  } finally {
    await admin.end()
  }
}

async function sql(database: string, statement: string): Promise<void> {
  const admin = await adminConnection(database)
  try {
    await admin.query(statement)
  } finally {
    await admin.end()
  }
}

t.test('MIGRATIONS_RUN=false with a pending migration exits 1 with one line naming it, and migrates nothing', async (t) => {
  const config = await createTestDatabase(t)
  const database = databaseOf(config)
  // Every migration applied, then the last one reverted: the database is exactly one behind.
  const dataSource = new DataSource(dataSourceOptions(config))
  await dataSource.initialize()
  await dataSource.undoLastMigration({ transaction: 'each' })
  const pending = dataSource.migrations.map((migration) => migration.name ?? migration.constructor.name).slice(-1)
  await dataSource.destroy()
  const appliedBefore = await appliedMigrations(database)
  const tablesBefore = await tablesOf(database)

  const { code, stderr } = await runServerToExit({ DATABASE_URL: config.DATABASE_URL, MIGRATIONS_RUN: 'false' }, REFUSAL_TIMEOUT_MS)
  t.equal(code, 1, 'exits 1')
  t.equal(
    stderr,
    `Lifeguard failed to start: 1 migration is pending (${pending.join(', ')}); run \`npm run migration:run\` or start with MIGRATIONS_RUN=true\n`,
    'one stderr line naming the pending migration and both ways out'
  )
  t.same(await appliedMigrations(database), appliedBefore, 'no migration was applied')
  t.same(await tablesOf(database), tablesBefore, 'no table was created')
})

t.test('MIGRATIONS_RUN=false with nothing pending starts and serves', async (t) => {
  const config = await createTestDatabase(t)
  const child = startServer({ DATABASE_URL: config.DATABASE_URL, MIGRATIONS_RUN: 'false' })
  t.teardown(() => child.kill('SIGKILL'))
  const base = await listeningUrl(child)
  t.equal((await fetch(`${base}/health/ready`)).status, 200, 'ready')
  t.equal((await fetch(`${base}/books`)).status, 200, 'an entity route answers from the migrated schema')
  t.notMatch(child.output.stdout, /applied pending migrations/)
  child.kill('SIGTERM')
  t.equal(await child.exited, 0)
  t.equal(child.output.stderr, '', 'nothing on stderr')
})

t.test('a missing table of an exposed entity is refused in one line naming entity and table', async (t) => {
  const config = await createTestDatabase(t)
  await sql(databaseOf(config), 'DROP TABLE orders')
  // MIGRATIONS_RUN defaults to true: nothing is pending, yet the schema is behind the entities.
  const { code, stderr } = await runServerToExit({ DATABASE_URL: config.DATABASE_URL }, REFUSAL_TIMEOUT_MS)
  t.equal(code, 1, 'exits 1')
  t.match(stderr, /^Lifeguard failed to start: the database schema is behind the entities: Order needs table orders, which does not exist; .*`npm run migration:generate/)
  t.equal(stderr.split('\n').length, 2, 'one line')
  t.notMatch(stderr, /Book|Author/, 'only what is missing is named')
})

t.test('a missing column is refused in one line naming entity, table and column', async (t) => {
  const config = await createTestDatabase(t)
  await sql(databaseOf(config), 'ALTER TABLE books DROP COLUMN isbn')
  const { code, stderr } = await runServerToExit({ DATABASE_URL: config.DATABASE_URL, MIGRATIONS_RUN: 'false' }, REFUSAL_TIMEOUT_MS)
  t.equal(code, 1, 'exits 1')
  t.match(stderr, /^Lifeguard failed to start: the database schema is behind the entities: Book needs column isbn in table books; .*`npm run migration:generate/)
  t.equal(stderr.split('\n').length, 2, 'one line')
})
