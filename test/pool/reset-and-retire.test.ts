import t from 'tap'
import { createTestDatabase, adminConnection } from '../helper'
import { borrow, countPings, guardedDataSource, sleep } from './guard-harness'

t.test('a connection released with an open transaction is rolled back before reuse', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, dataSource, pool } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 1 })
  await dataSource.query('CREATE TABLE notes (id INT PRIMARY KEY) ENGINE=InnoDB')
  const runner = dataSource.createQueryRunner()
  await runner.startTransaction()
  await runner.query('INSERT INTO notes VALUES (1)')
  await runner.release() // no commit, no rollback: a careless caller
  const connection = await borrow(pool)
  const [[state]] = (await connection.promise().query('SELECT @@in_transaction AS open')) as any
  t.equal(Number(state.open), 0, 'the next borrower gets no open transaction')
  connection.release()
  t.same(await dataSource.query('SELECT id FROM notes'), [], 'the uncommitted row is gone')
  t.equal(guard.totals.rollbacksOnRelease, 1)

  const committed = dataSource.createQueryRunner()
  await committed.startTransaction()
  await committed.query('INSERT INTO notes VALUES (2)')
  await committed.commitTransaction()
  await committed.release()
  t.equal(guard.totals.rollbacksOnRelease, 1, 'a committed transaction costs no extra ROLLBACK')
  t.same(await dataSource.query('SELECT id FROM notes'), [{ id: 2 }])
})

t.test('max lifetime: a connection held past it keeps working, and is retired on release', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, pool } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 1, DB_POOL_MAX_LIFETIME_MS: 300 })
  const old = await borrow(pool)
  await sleep(400)
  const [[row]] = (await old.promise().query('SELECT 1 AS one')) as any
  t.equal(row.one, 1, 'never retired while in use')
  old.release()
  t.equal(guard.totals.destroyedByReason.get('max_lifetime'), 1, 'retired on release')
  const fresh = await borrow(pool)
  t.not(fresh.threadId, old.threadId, 'the next borrow gets a new connection')
  fresh.release()
})

t.test('the idle sweeper retires idle connections past their lifetime', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, pool } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 2, DB_POOL_MAX_LIFETIME_MS: 400 })
  const a = await borrow(pool)
  const b = await borrow(pool)
  a.release()
  b.release()
  t.equal(guard.stats().idle, 2)
  await sleep(800)
  t.equal(guard.stats().total, 0, 'no idle connection outlives its lifetime')
  t.ok((guard.totals.destroyedByReason.get('max_lifetime') ?? 0) >= 2)
  const admin = await adminConnection()
  t.teardown(() => admin.end())
  const [rows] = (await admin.query('SELECT id FROM information_schema.processlist WHERE id IN (?, ?)', [
    a.threadId,
    b.threadId
  ])) as any
  t.same(rows, [], 'the server no longer has them either')
})

t.test('the idle sweeper closes idle connections above maxIdle after the idle timeout', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, pool } = await guardedDataSource(t, {
    ...config,
    DB_POOL_SIZE: 3,
    DB_POOL_MAX_IDLE: 1,
    DB_POOL_IDLE_TIMEOUT_MS: 200
  })
  const borrowed = await Promise.all([borrow(pool), borrow(pool), borrow(pool)])
  for (const connection of borrowed) connection.release()
  t.equal(guard.stats().idle, 3)
  await sleep(900)
  t.equal(guard.stats().idle, 1, 'kept maxIdle connections')
  t.equal(guard.totals.destroyedByReason.get('idle_timeout'), 2)
})

t.test('a connection idle longer than the validation threshold is pinged before it is lent', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { pool } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 1, DB_POOL_VALIDATE_AFTER_IDLE_MS: 150 })
  const connection = await borrow(pool)
  const counter = countPings([connection])
  connection.release()
  ;(await borrow(pool)).release()
  t.equal(counter.pings, 0, 'not pinged when recently used')
  await sleep(250)
  const again = await borrow(pool)
  t.equal(counter.pings, 1, 'pinged after idling past the threshold')
  t.equal(again.threadId, connection.threadId, 'a live connection is kept')
  again.release()
})

t.test('a connection that does not answer its validation ping is destroyed and another is lent in the same borrow', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, pool } = await guardedDataSource(t, {
    ...config,
    DB_POOL_SIZE: 1,
    DB_POOL_VALIDATE_AFTER_IDLE_MS: 100,
    DB_POOL_ACQUIRE_TIMEOUT_MS: 3_000
  })
  guard.settings.validationTimeoutMs = 200
  const silent = await borrow(pool)
  // As on a cut network: the ping goes out and no answer ever comes back.
  silent.ping = (() => undefined) as unknown as typeof silent.ping
  silent.release()
  await sleep(150)
  const started = Date.now()
  const replacement = await borrow(pool)
  const elapsed = Date.now() - started
  t.not(replacement.threadId, silent.threadId, 'a different connection was lent')
  t.ok(elapsed >= 190, `after the ping timed out (${elapsed} ms), within the same borrow`)
  t.equal(guard.totals.destroyedByReason.get('validation_failed'), 1)
  t.same(guard.stats(), { total: 1, idle: 0, active: 1, pending: 0, max: 1 }, 'the pool never held more than its size')
  replacement.release()
})
