import t from 'tap'
import { PrivateMariaDb } from './private-mariadb'
import { assertPoolSettled, buildAppOn, burst, FAULT_DATABASE, sleep } from './fault-support'

/**
 * Issue 8 item 1: a client-side deadline on every statement. A frozen server (SIGSTOP: what a
 * dead network looks like to the client) cannot enforce max_statement_time, so before this the
 * statements running on the pool waited for the whole freeze.
 */
t.test('server frozen with 4 statements running on a pool of 4: each answered at the deadline, none waits for SIGCONT', async (t) => {
  const server = await PrivateMariaDb.start(t)
  const admin = await server.admin()
  t.teardown(() => admin.end().catch(() => {}))
  const deadlineMs = 1_000
  const app = await buildAppOn(t, server.url, { DB_POOL_SIZE: 4, DB_STATEMENT_TIMEOUT_MS: 0, DB_STATEMENT_DEADLINE_MS: deadlineMs, DB_POOL_ACQUIRE_TIMEOUT_MS: deadlineMs })
  t.same(new Set(await burst(app, '/authors', 8)), new Set([200]), 'warm-up')

  // Four statements that are on the server when it freezes (each would take 0.5 s).
  const started = Date.now()
  const running = Array.from({ length: 4 }, (_, i) =>
    app.db.query(`SELECT SLEEP(0.5) AS slept, 'frozen-${i}' AS marker`).then(
      () => ({ ms: Date.now() - started, error: undefined as any }),
      (error) => ({ ms: Date.now() - started, error })
    )
  )
  await sleep(100)
  await server.pause()
  t.teardown(() => server.resume())
  const outcomes = await Promise.all(running)
  for (const { ms, error } of outcomes) {
    t.equal(error?.code, 'LG_STATEMENT_DEADLINE', 'failed with the statement deadline')
    t.ok(ms <= deadlineMs + 300, `answered within the deadline + 300 ms (${ms} ms)`)
  }
  // A request while still frozen: a new connection cannot be made (its connect hangs), so it is
  // refused at the acquire deadline; a statement that got through would hit the statement one.
  const requestStarted = Date.now()
  const request = await app.inject('/authors')
  t.equal(request.statusCode, 503)
  t.match(request.json(), { type: /(pool-unavailable|statement-timeout)$/ })
  t.equal(request.headers['retry-after'], '1')
  t.ok(Date.now() - requestStarted <= deadlineMs + 300, 'answered in time too')
  t.ok((app.poolGuard.totals.destroyedByReason.get('statement_deadline') ?? 0) >= 4, 'their connections were destroyed')
  await sleep(1_000) // the freeze lasts 3 s in all
  server.resume()

  // Once the server runs again, the abandoned statements are killed, not left to finish.
  const deadline = Date.now() + 5_000
  let left: unknown[] = []
  while (Date.now() < deadline) {
    ;[left] = (await admin.query(
      "SELECT id FROM information_schema.processlist WHERE info LIKE '%frozen-%' AND info NOT LIKE '%processlist%'"
    )) as any
    if (left.length === 0) break
    await sleep(50)
  }
  t.same(left, [], 'no abandoned statement is still running on the server')
  t.same(new Set(await burst(app, '/authors', 8)), new Set([200]), 'the pool serves again, without a restart')
  await assertPoolSettled(t, app)
  const [[{ count }]] = (await admin.query('SELECT COUNT(*) AS count FROM information_schema.processlist WHERE db = ?', [FAULT_DATABASE])) as any
  t.ok(Number(count) <= 4, `the pool is whole: ${count} connections, at most DB_POOL_SIZE`)
})
