import t from 'tap'
import { adminConnection, buildTestApp } from '../helper'
import { assertPoolSettled, runningStatements, sleep } from './fault-support'

t.test('SELECT SLEEP(10) under a 500 ms statement timeout is stopped by the server', async (t) => {
  const app = await buildTestApp(t, { DB_POOL_SIZE: 1, DB_STATEMENT_TIMEOUT_MS: 500 })
  app.get('/test/runaway', async () => app.db.query('SELECT SLEEP(10) AS slept'))
  const database = app.db.options.database as string
  const admin = await adminConnection()
  t.teardown(() => admin.end())

  await app.ready()
  const started = Date.now()
  const response = await app.inject('/test/runaway')
  const elapsed = Date.now() - started
  t.equal(response.statusCode, 503)
  t.match(response.json(), { type: /statement-timeout$/ })
  t.equal(response.headers['retry-after'], '1')
  t.ok(elapsed >= 450 && elapsed < 3_000, `stopped after about 0.5 s (${elapsed} ms), not 10 s`)
  await sleep(50)
  t.same(await runningStatements(admin, database), [], 'nothing is left running on the server')

  const after = await app.inject('/authors')
  t.equal(after.statusCode, 200, 'the same (only) connection is usable afterwards')
  t.equal(app.poolGuard.totals.created, 1, 'it was not replaced')
  await assertPoolSettled(t, app)
  t.match((await app.inject('/metrics')).body, /db_errors_total\{node="primary",code="ER_STATEMENT_TIMEOUT"\} 1/)
})

t.test('the statement timeout is on by default: 15 s on every pooled session', async (t) => {
  // No override: what an operator gets without setting DB_STATEMENT_TIMEOUT_MS. That the server
  // then stops a longer statement is the first test's (with 500 ms instead of a 15 s wait).
  const app = await buildTestApp(t, { DB_POOL_SIZE: 2 })
  app.get('/test/session-limit', async () => app.db.query('SELECT @@SESSION.max_statement_time AS limitSeconds'))
  await app.ready()
  for (let i = 0; i < 2; i++) {
    const [{ limitSeconds }] = (await app.inject('/test/session-limit')).json()
    t.equal(Number(limitSeconds), 15, "the app's own session has max_statement_time = 15")
  }
  t.equal(app.poolGuard.settings.statementDeadlineMs, 15_500, 'and the client-side deadline sits 500 ms above it')
  await assertPoolSettled(t, app)
})
