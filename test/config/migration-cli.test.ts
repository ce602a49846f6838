import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { operatorEnv, ROOT } from '../support/server-process'
import { randomBytes } from 'node:crypto'
import type { RowDataPacket } from 'mysql2/promise'
import { adminConnection, dropDatabase, TEST_SERVER_URL } from '../helper'

const run = promisify(execFile)

/** Runs `npm run <script>` as an operator would, and returns how it ended instead of throwing. */
async function npmRunToExit(script: string, env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', script], {
      cwd: ROOT,
      env: operatorEnv(env),
      timeout: 60_000
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const { code, stdout, stderr } = err as { code: number; stdout: string; stderr: string }
    return { code, stdout, stderr }
  }
}

t.test('the migration CLI reports a bad variable in one line, without a stack, and exits 1', async (t) => {
  // The database is never reached: the config is rejected while the CLI loads ormconfig.ts.
  const bad = await npmRunToExit('migration:show', {
    DB_POOL_SIZE: 'abc',
    DATABASE_URL: 'mariadb://app:hunter2@127.0.0.1:1/nope'
  })
  t.equal(bad.code, 1)
  t.same(bad.stderr.split('\n').filter(Boolean), [
    'Invalid configuration: DB_POOL_SIZE must be an integer >= 1 and <= 1000 — most connections the pool opens (got "abc")'
  ])
  t.notMatch(bad.stderr + bad.stdout, /Unable to open file|\bat .*\.ts:\d+/, 'not the CLI\'s generic error with a stack')
  t.notMatch(bad.stderr + bad.stdout, /hunter2/, 'the password never shows')
})

t.test('the migration CLI reports every bad variable at once, one line each', async (t) => {
  const bad = await npmRunToExit('migration:show', { DB_POOL_SIZE: 'abc', LOG_LEVEL: 'loud' })
  t.equal(bad.code, 1)
  const lines = bad.stderr.split('\n').filter(Boolean)
  t.equal(lines.length, 2)
  t.match(lines[0], /^Invalid configuration: LOG_LEVEL must be one of .*\(got "loud"\)$/)
  t.match(lines[1], /^Invalid configuration: DB_POOL_SIZE must be an integer .*\(got "abc"\)$/)
})

t.test('the migration CLI warns about a misspelt DB_ variable before it connects', async (t) => {
  const database = `lg_test_cli_${randomBytes(4).toString('hex')}`
  t.teardown(() => dropDatabase(database))
  const run = await npmRunToExit('migration:show', { DB_POOL_SZE: '3', DATABASE_URL: `${TEST_SERVER_URL}/${database}` })
  t.equal(run.stderr.split('\n')[0], 'Unknown variable DB_POOL_SZE is ignored; did you mean DB_POOL_SIZE?')
  t.notMatch(run.stderr, /Invalid configuration/, 'a warning, not an error')
})

t.test('migration:run creates a missing database and migrates it, as npm start does', async (t) => {
  const database = `lg_test_cli_${randomBytes(4).toString('hex')}`
  t.teardown(() => dropDatabase(database))
  const url = `${TEST_SERVER_URL}/${database}`
  const show = await npmRunToExit('migration:show', { DATABASE_URL: url })
  t.equal(show.code, 0, show.stderr)
  t.match(show.stdout, /^\[ \] \w+/m, 'the new, empty database has every migration pending')
  const migrate = await npmRunToExit('migration:run', { DATABASE_URL: url })
  t.equal(migrate.code, 0, migrate.stderr)
  const connection = await adminConnection(database)
  t.teardown(() => connection.end())
  const [tables] = await connection.query<RowDataPacket[]>('SHOW TABLES')
  t.ok(tables.length >= 3, `the schema is there (${tables.length} tables)`)
  const after = await npmRunToExit('migration:show', { DATABASE_URL: url })
  t.notMatch(after.stdout, /^\[ \]/m, 'nothing pending any more')
})

t.test('the migration CLI gives up on a server that does not answer with one line naming it', async (t) => {
  const down = await npmRunToExit('migration:show', {
    DATABASE_URL: 'mariadb://root@127.0.0.1:1/lg',
    DB_CONNECT_RETRY_MS: '500'
  })
  t.equal(down.code, 1)
  const lines = down.stderr.split('\n').filter(Boolean)
  t.match(lines[0], /^waiting for the database at 127\.0\.0\.1:1$/)
  t.match(lines[lines.length - 1], /^the database at 127\.0\.0\.1:1 did not answer within DB_CONNECT_RETRY_MS \(500 ms/)
  t.notMatch(down.stderr, /Unable to open file|\bat .*\.[jt]s:\d+/, 'no stack')
})
