import t from 'tap'
import { buildTestApp } from '../helper'
import { PrivateMariaDb } from '../faults/private-mariadb'
import { buildAppOn } from '../faults/fault-support'
import { waitForIdlePool } from '../support/pool-state'
import { readySeries } from '../support/readiness-series'

// Issue 8 item 3: readiness tells the truth. A saturated pool is not "the database is not
// reachable": the check runs on a connection of its own, answers within its own deadline,
// reports the saturation in its body, and never destroys a healthy pooled connection.
t.test('readiness with a saturated pool: 200 within its deadline, saturation reported, nothing destroyed', async (t) => {
  const app = await buildTestApp(t, { DB_POOL_SIZE: 2, DB_POOL_ACQUIRE_TIMEOUT_MS: 5_000 })
  app.get('/test/sleep', async () => app.db.query('SELECT SLEEP(2) AS slept'))
  const busy = Array.from({ length: 4 }, () => app.inject('/test/sleep'))
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.ok(app.poolGuard.stats().pending > 0, 'the pool is saturated: borrowers are waiting')

  const started = Date.now()
  const ready = await app.inject('/health/ready')
  const took = Date.now() - started
  t.equal(ready.statusCode, 200, ready.body)
  t.ok(took < 1_000, `answered within its own deadline (${took} ms)`)
  t.match(ready.json(), { status: 'ok', pool: { max: 2, active: 2, idle: 0, saturated: true } })
  t.ok(ready.json().pool.pending > 0)
  t.same(await readySeries(app), { ok: 1 }, 'saturated is still ready in /metrics too')

  t.same((await Promise.all(busy)).map((response) => response.statusCode), [200, 200, 200, 200])
  t.equal(app.poolGuard.totals.destroyedByReason.get('validation_failed') ?? 0, 0, 'no healthy pooled connection was destroyed')
  const calm = (await app.inject('/health/ready')).json()
  t.match(calm, { status: 'ok', pool: { pending: 0, saturated: false } })
  t.equal((await waitForIdlePool(app)).active, 0)
})

t.test('readiness on a frozen server: 503 within its deadline, green again after', async (t) => {
  const server = await PrivateMariaDb.start(t)
  const app = await buildAppOn(t, server.url, { DB_POOL_ACQUIRE_TIMEOUT_MS: 500 })
  t.equal((await app.inject('/health/ready')).statusCode, 200)
  await server.pause()
  const started = Date.now()
  const frozen = await app.inject('/health/ready')
  const took = Date.now() - started
  server.resume()
  t.equal(frozen.statusCode, 503)
  t.match(frozen.json(), { type: /not-ready$/, detail: /did not answer a ping within 1000 ms/ })
  t.ok(took < 1_500, `answered at its deadline (${took} ms)`)
  t.same(await readySeries(app), { database_timeout: 0 }, 'a silent server is a timeout, not a refusal')
  let again = 0
  for (let i = 0; i < 50 && again !== 200; i++) {
    again = (await app.inject('/health/ready')).statusCode
    if (again !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.equal(again, 200, 'it recovers by itself once the server answers')
  t.same(await readySeries(app), { ok: 1 })
})
