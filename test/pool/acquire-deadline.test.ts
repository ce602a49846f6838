import t from 'tap'
import { createTestDatabase } from '../helper'
import { borrow, guardedDataSource, sleep, timed } from './guard-harness'

t.test('a borrow on a full pool fails with LG_POOL_UNAVAILABLE at its deadline, and the waiter is gone', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, pool } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 1, DB_POOL_ACQUIRE_TIMEOUT_MS: 200 })
  const held = await borrow(pool)
  const refused = await timed(borrow(pool))
  t.equal(refused.error?.code, 'LG_POOL_UNAVAILABLE')
  t.equal(refused.error?.statusCode, 503)
  t.ok(refused.ms >= 190, `waited out the deadline (${refused.ms} ms)`)
  t.same(guard.stats(), { total: 1, idle: 0, active: 1, pending: 0, max: 1 }, 'the timed-out waiter left the queue')
  t.equal(guard.totals.timeoutsByReason.get('acquire_timeout'), 1)

  held.release()
  t.same(guard.stats(), { total: 1, idle: 1, active: 0, pending: 0, max: 1 }, 'released to the pool, not to the gone waiter')
  const again = await borrow(pool)
  t.equal(again.threadId, held.threadId, 'the same connection is lent again')
  again.release()
})

t.test('a connection released while others wait goes to the first waiter', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, pool } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 1, DB_POOL_ACQUIRE_TIMEOUT_MS: 2_000 })
  const held = await borrow(pool)
  const first = borrow(pool)
  const second = borrow(pool)
  await sleep(20)
  t.equal(guard.stats().pending, 2)
  held.release()
  const got = await first
  t.equal(got.threadId, held.threadId)
  t.equal(guard.stats().pending, 1, 'the second waiter still waits')
  got.release()
  ;(await second).release()
  t.same(guard.stats(), { total: 1, idle: 1, active: 0, pending: 0, max: 1 })
})

t.test('a full wait queue refuses at once with LG_POOL_UNAVAILABLE', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, pool } = await guardedDataSource(t, {
    ...config,
    DB_POOL_SIZE: 1,
    DB_POOL_QUEUE_LIMIT: 1,
    DB_POOL_ACQUIRE_TIMEOUT_MS: 5_000
  })
  const held = await borrow(pool)
  const queued = borrow(pool)
  const refused = await timed(borrow(pool))
  t.equal(refused.error?.code, 'LG_POOL_UNAVAILABLE')
  t.match(refused.error?.message, /already waiting/)
  t.ok(refused.ms < 1_000, 'refused without waiting for the acquire deadline')
  t.equal(guard.totals.timeoutsByReason.get('queue_full'), 1)
  held.release()
  ;(await queued).release()
  t.equal(guard.stats().active, 0)
})

t.test('the HTTP answer to a pool timeout is a 503 problem with Retry-After', async (t) => {
  const { buildTestApp } = await import('../helper')
  const app = await buildTestApp(t, { DB_POOL_SIZE: 1, DB_POOL_ACQUIRE_TIMEOUT_MS: 150 })
  app.get('/test/sleep', async () => app.db.query('SELECT SLEEP(0.6) AS slept'))
  const slow = app.inject('/test/sleep')
  await sleep(100)
  const refused = await app.inject('/authors')
  t.equal(refused.statusCode, 503)
  t.equal(refused.headers['retry-after'], '1')
  t.match(refused.headers['content-type'], /^application\/problem\+json/)
  const ready = await app.inject('/health/ready')
  t.equal(ready.statusCode, 200, 'readiness does not queue behind the busy pool')
  const slowAnswer = await slow
  t.equal(slowAnswer.statusCode, 200)
  const refusedQuery = app.inject('/test/sleep')
  await sleep(50)
  const timedOut = await app.inject('/test/sleep')
  t.equal(timedOut.statusCode, 503)
  t.match(timedOut.json(), { status: 503, type: /pool-unavailable$/ })
  t.equal((await refusedQuery).statusCode, 200)
})

t.test('a connection that arrives after its waiter gave up goes back to the pool', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, pool } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 2 })
  const held = await borrow(pool)
  // Shorter than a connect takes: the new connection can only arrive after the deadline.
  guard.settings.acquireTimeoutMs = 1
  const refusal = timed(borrow(pool))
  // Keep the event loop busy past the deadline, so no part of the connect can have run by then.
  const busyUntil = Date.now() + 5
  while (Date.now() < busyUntil);
  const refused = await refusal
  t.equal(refused.error?.code, 'LG_POOL_UNAVAILABLE')
  guard.settings.acquireTimeoutMs = 2_000
  // The connect goes on after the refusal; on a loaded machine it can take more than a moment.
  const settleBy = Date.now() + 5_000
  while (guard.stats().pending > 0 && Date.now() < settleBy) await sleep(20)
  t.same(guard.stats(), { total: 2, idle: 1, active: 1, pending: 0, max: 2 }, 'the late connection is idle in the pool')
  const next = await borrow(pool)
  t.not(next.threadId, held.threadId, 'and is lent to the next borrower')
  next.release()
  held.release()
})
