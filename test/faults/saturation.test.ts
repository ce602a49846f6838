import t from 'tap'
import { adminConnection, buildTestApp } from '../helper'
import { assertPoolSettled, serverConnections, sleep } from './fault-support'

const ACQUIRE_TIMEOUT_MS = 300

t.test('saturation: a pool of 2 held by slow queries answers a third request with 503 at the deadline', async (t) => {
  const app = await buildTestApp(t, { DB_POOL_SIZE: 2, DB_POOL_ACQUIRE_TIMEOUT_MS: ACQUIRE_TIMEOUT_MS })
  app.get('/test/slow', async () => app.db.query('SELECT SLEEP(1.2) AS slept'))
  const database = app.db.options.database as string
  const admin = await adminConnection()
  t.teardown(() => admin.end())

  const slow = [app.inject('/test/slow'), app.inject('/test/slow')]
  await sleep(150)
  const started = Date.now()
  const third = await app.inject('/authors')
  const elapsed = Date.now() - started
  t.equal(third.statusCode, 503)
  t.equal(third.headers['retry-after'], '1')
  t.match(third.json(), { status: 503, type: /pool-unavailable$/ })
  t.ok(elapsed >= ACQUIRE_TIMEOUT_MS - 20, `waited for the deadline (${elapsed} ms)`)
  t.ok(elapsed <= ACQUIRE_TIMEOUT_MS + 100, `answered within the acquire timeout + 100 ms (${elapsed} ms)`)

  // More pressure while both are held: the server must still see only the pool's 2.
  const more = await Promise.all(Array.from({ length: 10 }, () => app.inject('/authors')))
  t.same(new Set(more.map((r) => r.statusCode)), new Set([503]))
  t.equal(await serverConnections(admin, database), 2, 'the server never sees more than 2 pool connections')

  const slowAnswers = await Promise.all(slow)
  t.same(slowAnswers.map((r) => r.statusCode), [200, 200], 'the slow queries themselves finish')
  t.equal((await app.inject('/authors')).statusCode, 200, 'service is back once the pool frees up')
  await assertPoolSettled(t, app)
  const metrics = (await app.inject('/metrics')).body
  t.match(metrics, /db_pool_timeouts_total\{node="primary",reason="acquire_timeout"\} 11/)
  t.match(metrics, /db_pool_connections_max\{node="primary"\} 2/)
})
