import path from 'node:path'
import { readdirSync } from 'node:fs'
import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { DataSource } from 'typeorm'
import { dataSourceOptions } from '../src/db/data-source-options'
import { runPendingMigrations } from '../src/db/prepare-database'
import { createTestDatabase } from './helper'
import { operatorEnv, ROOT } from './support/server-process'
import type { Config } from '../src/config'

const run = promisify(execFile)
const DOMAIN_TABLES = ['authors', 'books', 'orders']

async function tablesOf(dataSource: DataSource): Promise<string[]> {
  const rows: Array<{ name: string }> = await dataSource.query(
    'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name'
  )
  return rows.map((row) => row.name)
}

async function withDataSource<T>(config: Config, work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const dataSource = new DataSource({ ...dataSourceOptions(config), poolSize: 1 })
  await dataSource.initialize()
  try {
    return await work(dataSource)
  } finally {
    await dataSource.destroy()
  }
}

t.test('every migration runs and reverts on an empty database', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  await withDataSource(config, async (dataSource) => {
    t.same(await tablesOf(dataSource), [], 'starts empty')
    const applied = await dataSource.runMigrations({ transaction: 'each' })
    t.ok(applied.length >= 1, 'migrations applied')
    t.same(await dataSource.showMigrations(), false, 'nothing pending afterwards')
    const tables = await tablesOf(dataSource)
    for (const table of DOMAIN_TABLES) t.ok(tables.includes(table), `${table} created`)
    // The schema the migrations built is the one the entities describe: no drift to generate.
    const pendingSql = await dataSource.driver.createSchemaBuilder().log()
    t.same(
      pendingSql.upQueries.map((q) => q.query),
      [],
      'entities and migrations agree (migration:generate would find nothing)'
    )

    for (let i = 0; i < applied.length; i++) await dataSource.undoLastMigration({ transaction: 'each' })
    t.same(await tablesOf(dataSource), ['migrations'], 'every down() undid its up()')
    const again = await dataSource.runMigrations({ transaction: 'each' })
    t.equal(again.length, applied.length, 'and they apply again after a full revert')
  })
})

t.test('instances starting together migrate once: the others wait, then find nothing pending', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const results = await Promise.all([runPendingMigrations(config), runPendingMigrations(config), runPendingMigrations(config)])
  const applied = results.flat()
  t.equal(results.filter((names) => names.length > 0).length, 1, 'exactly one instance applied migrations')
  t.equal(new Set(applied).size, applied.length, 'no migration applied twice')
  await withDataSource(config, async (dataSource) => {
    const [{ runs }] = await dataSource.query('SELECT COUNT(*) AS runs FROM migrations')
    t.equal(Number(runs), applied.length)
  })
})

/** Runs an npm script the way an operator would, pointed at the test database. */
async function npmRun(script: string, config: Config): Promise<string> {
  const { stdout } = await run('npm', ['run', '--silent', script], {
    cwd: ROOT,
    env: operatorEnv({ DATABASE_URL: config.DATABASE_URL, LOG_LEVEL: 'silent' }),
    timeout: 60_000
  })
  return stdout
}

t.test('the migration CLI shows, runs and reverts against DATABASE_URL', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const name = /DomainSchema\d+/

  const before = await npmRun('migration:show', config)
  t.match(before, /\[ \] DomainSchema\d+/, 'show: pending before run')
  const ran = await npmRun('migration:run', config)
  t.match(ran, name, 'run names the migration it applied')
  const after = await npmRun('migration:show', config)
  t.match(after, /\[X\] \d+ DomainSchema\d+/, 'show: applied after run')
  await withDataSource(config, async (dataSource) => {
    t.ok((await tablesOf(dataSource)).includes('books'), 'tables exist after the CLI ran')
  })

  // revert undoes the newest migration only: once per migration in migrations/, newest first.
  const count = (after.match(/\[X\]/g) ?? []).length
  const files = readdirSync(path.join(__dirname, '..', 'migrations')).filter((file) => file.endsWith('.ts'))
  t.equal(count, files.length, 'every migration in migrations/ was applied')
  await npmRun('migration:revert', config)
  t.match(await npmRun('migration:show', config), /\[X\] \d+ DomainSchema\d+[\s\S]*\[ \] /, 'one revert: only the newest is pending again')
  for (let i = 1; i < count; i++) await npmRun('migration:revert', config)
  t.notMatch(await npmRun('migration:show', config), /\[X\]/, 'show: all pending again after reverting each')
  await withDataSource(config, async (dataSource) => {
    t.same(await tablesOf(dataSource), ['migrations'], 'revert dropped the tables')
  })
})
