import t from 'tap'
import { problemForError } from '../../src/http/error-problems'
import { StatementDeadlineError } from '../../src/pool/pool-errors'
import { guardSettingsFromConfig } from '../../src/pool/guard-settings'
import { loadConfig } from '../../src/config'

t.test('a statement past its client-side deadline is a 503 statement-timeout with Retry-After', async (t) => {
  const problem = problemForError(new StatementDeadlineError(1_500))
  t.match(problem, { slug: 'statement-timeout', retryAfterSeconds: 1, source: 'coded' })
  t.match(problem.detail, /within 1500 ms/)
})

t.test('the deadline sits just above the server-side timeout, or is its own setting when that is off', async (t) => {
  const url = 'mariadb://root@127.0.0.1:3306/x'
  t.equal(guardSettingsFromConfig(loadConfig({ DATABASE_URL: url })).statementDeadlineMs, 15_500, 'default: the 15 s timeout + 500 ms')
  t.equal(guardSettingsFromConfig(loadConfig({ DATABASE_URL: url, DB_STATEMENT_TIMEOUT_MS: '2000' })).statementDeadlineMs, 2_500)
  const timeoutOff = { DATABASE_URL: url, DB_STATEMENT_TIMEOUT_MS: '0' }
  t.equal(guardSettingsFromConfig(loadConfig(timeoutOff)).statementDeadlineMs, 30_000, 'with the timeout off: its own 30 s default')
  t.equal(guardSettingsFromConfig(loadConfig({ ...timeoutOff, DB_STATEMENT_DEADLINE_MS: '0' })).statementDeadlineMs, 0, '0 = off')
})
