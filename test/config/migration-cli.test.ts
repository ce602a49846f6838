import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { operatorEnv, ROOT } from '../support/server-process'
import { TEST_SERVER_URL } from '../helper'

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
  // A database that does not exist: the CLI fails after loading ormconfig.ts, and nothing is written.
  const missing = `${TEST_SERVER_URL}/lg_never_created`
  const run = await npmRunToExit('migration:show', { DB_POOL_SZE: '3', DATABASE_URL: missing })
  t.equal(run.stderr.split('\n')[0], 'Unknown variable DB_POOL_SZE is ignored; did you mean DB_POOL_SIZE?')
  t.notMatch(run.stderr, /Invalid configuration/, 'a warning, not an error')
})
