import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import mysql from 'mysql2/promise'
import { loadConfig } from '../../src/config'
import { migrationFiles, projectLayout } from '../../src/db/migration-files'
import { ensureDatabase, runPendingMigrations } from '../../src/db/prepare-database'

/**
 * A migrated database to copy, instead of running every migration for every test database.
 * ~170 test databases a run each ran the migrations (a DataSource, a lock, ~25 DDL statements:
 * 0.5-2.5 s on a loaded machine); copying the finished tables takes a few CREATE TABLEs.
 *
 * The template is named after a hash of the migration files (and of this file's copying
 * rules, CLONE_FORMAT), so an edited or added migration gets a template of its own and a stale
 * one is never copied. It is built once per server, under a lock, by whichever test needs it
 * first, and only read afterwards, so concurrent test files and other checkouts may share it.
 */

/** Bump when the way a template is built or copied changes: old templates are then ignored. */
const CLONE_FORMAT = 1

/** Written last: a template without it was cut short (a killed run) and is rebuilt. */
const READY_TABLE = 'lg_template_ready'

/** Longest a test waits for another one to build the template (a migration run, normally seconds). */
const BUILD_LOCK_TIMEOUT_S = 120

type Connect = (database?: string) => Promise<mysql.Connection>

/** The migrations the app and the CLI run, as prepare-database.ts finds them from src/db. */
function migrationSources(): string[] {
  return migrationFiles(projectLayout(path.join(__dirname, '..', '..', 'src', 'db')))
}

export function templateDatabaseName(): string {
  const hash = createHash('sha256').update(`clone format ${CLONE_FORMAT}\n`)
  for (const file of migrationSources()) hash.update(`${path.basename(file)}\n`).update(readFileSync(file)).update('\n')
  return `lg_template_${hash.digest('hex').slice(0, 16)}`
}

let template: Promise<string> | undefined

/** The template's name once it exists and is complete; built on first use in this process. */
export function migratedTemplate(serverUrl: string, connect: Connect): Promise<string> {
  template ??= buildTemplate(serverUrl, connect).catch((err) => {
    // A failed build (server briefly unreachable) is retried by the next caller, not cached.
    template = undefined
    throw err
  })
  return template
}

async function buildTemplate(serverUrl: string, connect: Connect): Promise<string> {
  const name = templateDatabaseName()
  const admin = await connect()
  const lock = `lifeguard:test-template:${name}`
  try {
    const [[{ acquired }]] = (await admin.query('SELECT GET_LOCK(?, ?) AS acquired', [lock, BUILD_LOCK_TIMEOUT_S])) as any
    if (Number(acquired) !== 1) throw new Error(`another test kept the lock on template ${name} for ${BUILD_LOCK_TIMEOUT_S} s`)
    const [ready] = await admin.query('SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [name, READY_TABLE])
    if ((ready as unknown[]).length > 0) return name
    await admin.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(name)}`)
    // Exactly what createTestDatabase did for every database before: ensureDatabase, then migrate.
    const config = loadConfig({ DATABASE_URL: `${serverUrl}/${name}`, LOG_LEVEL: 'silent' })
    await ensureDatabase(config)
    await runPendingMigrations(config)
    await refuseWhatCopyingMisses(admin, name)
    await admin.query(`CREATE TABLE ${mysql.escapeId(name)}.${mysql.escapeId(READY_TABLE)} (built_at datetime(3) NOT NULL)`)
    return name
  } finally {
    await admin.query('DO RELEASE_LOCK(?)', [lock]).catch(() => undefined)
    await admin.end()
  }
}

/**
 * Copying takes tables (with their keys, indexes and rows) only. A migration that makes a view,
 * trigger, routine, event or sequence would be silently missing from the copies, so the
 * template refuses to exist then; extend cloneTemplate (and CLONE_FORMAT) when one arrives.
 */
async function refuseWhatCopyingMisses(admin: mysql.Connection, name: string): Promise<void> {
  const [rows] = await admin.query(
    `SELECT 'table type' AS what, table_type AS detail FROM information_schema.tables WHERE table_schema = ? AND table_type <> 'BASE TABLE'
     UNION ALL SELECT 'trigger', trigger_name FROM information_schema.triggers WHERE trigger_schema = ?
     UNION ALL SELECT 'routine', routine_name FROM information_schema.routines WHERE routine_schema = ?
     UNION ALL SELECT 'event', event_name FROM information_schema.events WHERE event_schema = ?`,
    [name, name, name, name]
  )
  const found = rows as Array<{ what: string; detail: string }>
  if (found.length > 0) {
    throw new Error(`the migrations make objects the test template cannot copy: ${found.map((row) => `${row.what} ${row.detail}`).join(', ')}`)
  }
}

/**
 * Copies the template's tables into `target` (which exists and is empty): SHOW CREATE TABLE
 * rather than CREATE TABLE ... LIKE, which leaves out foreign keys; same-database references
 * are unqualified in its output, so they point into `target`. Rows are copied too (the
 * migrations table's, and any a migration inserted), so nothing reads as pending.
 */
export async function cloneTemplate(template: string, target: string, connect: Connect): Promise<void> {
  const connection = await connect(target)
  try {
    // Tables come in name order, not dependency order: checks are off for this session only.
    await connection.query('SET SESSION foreign_key_checks = 0')
    const [tables] = await connection.query(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' AND table_name <> ? ORDER BY table_name",
      [template, READY_TABLE]
    )
    for (const { name } of tables as Array<{ name: string }>) {
      const source = `${mysql.escapeId(template)}.${mysql.escapeId(name)}`
      const [[created]] = (await connection.query(`SHOW CREATE TABLE ${source}`)) as any
      await connection.query(created['Create Table'])
      await connection.query(`INSERT INTO ${mysql.escapeId(name)} SELECT * FROM ${source}`)
    }
  } finally {
    await connection.end()
  }
}
