import t from 'tap'
import { createTestDatabase, adminConnection } from '../helper'
import type { GuardedPool } from '../../src/pool/guarded-pool'
import { borrow, countPings, guardedDataSource, sleep } from './guard-harness'

/** pool.query (one borrow, one statement, one release) as a promise. */
function oneShot(pool: GuardedPool, sql: string): Promise<any[]> {
  return new Promise((resolve, reject) => pool.query(sql, (err: unknown, rows: unknown) => (err ? reject(err) : resolve(rows as any[]))))
}

/** Kills the connection running `marker`'s statement as soon as the server shows it running. */
async function killWhenRunning(marker: string): Promise<void> {
  const admin = await adminConnection()
  try {
    for (;;) {
      const [rows] = (await admin.query(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE CONCAT('%', ?, '%') AND INFO NOT LIKE '%PROCESSLIST%'",
        [marker]
      )) as any
      if (rows.length > 0) return void (await admin.query(`KILL CONNECTION ${rows[0].ID}`))
      await sleep(10)
    }
  } finally {
    await admin.end()
  }
}

t.test('a one-shot read whose connection dies under it runs once more on a fresh one', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, pool } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 2 })
  const answer = oneShot(pool, "SELECT SLEEP(0.3) AS slept, 42 AS answer, 'retry-me' AS marker")
  await killWhenRunning('retry-me')
  const [row] = await answer
  t.equal(row.answer, 42, 'the caller never saw the dead connection')
  t.equal(guard.totals.readRetries, 1)
  t.ok(guard.totals.destroyedByReason.size > 0, 'the dead connection was destroyed')
  t.equal(guard.stats().active, 0, 'nothing is left lent out')
})

t.test('the retry stays inside the first borrow\'s deadline', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, pool } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 2, DB_POOL_ACQUIRE_TIMEOUT_MS: 500 })
  const started = Date.now()
  const answer = oneShot(pool, "SELECT SLEEP(2) AS slept, 'too-late' AS marker").catch((err) => err)
  await sleep(700) // past the 500 ms deadline the borrow began with
  await killWhenRunning('too-late')
  const failure = await answer
  t.equal(failure?.fatal, true, 'the dead connection\'s error, not a second full wait')
  t.equal(guard.totals.readRetries, 0)
  t.ok(Date.now() - started < 2_000, 'not run again')
})

t.test('a read on a borrowed connection is never moved: its caller may depend on the session', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, pool } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 2 })
  const held = await borrow(pool)
  const answer = held.promise().query("SELECT SLEEP(0.3), 'held-read' AS marker").catch((err) => err)
  await killWhenRunning('held-read')
  t.equal((await answer)?.fatal, true)
  held.release()
  t.equal(guard.totals.readRetries, 0)
  t.equal(guard.stats().active, 0)
})

t.test('a one-shot read of session state is not retried', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, pool } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 2 })
  for (const [sql, marker] of [
    ["SELECT SLEEP(0.3), GET_LOCK('lg-test', 0), 'lock-read'", 'lock-read'],
    ["SELECT SLEEP(0.3), LAST_INSERT_ID(), 'id-read'", 'id-read'],
    ["SELECT SLEEP(0.3), @counter, 'var-read'", 'var-read']
  ]) {
    const answer = oneShot(pool, sql).catch((err) => err)
    await killWhenRunning(marker)
    t.equal((await answer)?.fatal, true, sql)
  }
  t.equal(guard.totals.readRetries, 0)
})

t.test('a write on a dead connection is not retried', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, dataSource, pool } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 2 })
  await dataSource.query('CREATE TABLE notes (id INT PRIMARY KEY) ENGINE=InnoDB')
  const admin = await adminConnection()
  t.teardown(() => admin.end())
  const doomed = await borrow(pool)
  await admin.query(`KILL CONNECTION ${doomed.threadId}`)
  await sleep(50)
  const failure = await doomed.promise().query('INSERT INTO notes VALUES (1)').catch((err) => err)
  t.equal(failure?.fatal, true, 'the write fails with the connection error')
  t.equal(guard.totals.readRetries, 0)
  doomed.release()
  t.same(await dataSource.query('SELECT id FROM notes'), [], 'nothing was written twice, or at all')
  t.equal(guard.stats().active, 0)
})

t.test('a read inside a transaction is not moved to another connection', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, dataSource } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 2 })
  const admin = await adminConnection()
  t.teardown(() => admin.end())
  const runner = dataSource.createQueryRunner()
  await runner.startTransaction()
  const [{ id }] = await runner.query('SELECT CONNECTION_ID() AS id')
  await admin.query(`KILL CONNECTION ${id}`)
  await sleep(50)
  await t.rejects(runner.query('SELECT 1'))
  t.equal(guard.totals.readRetries, 0)
  await runner.release()
  t.equal(guard.stats().active, 0)
})

t.test('idle connections killed by the server are never lent', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, dataSource, pool } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 3 })
  const connections = await Promise.all([borrow(pool), borrow(pool), borrow(pool)])
  for (const connection of connections) connection.release()
  const admin = await adminConnection()
  t.teardown(() => admin.end())
  for (const connection of connections) await admin.query(`KILL CONNECTION ${connection.threadId}`)
  const results = await Promise.all(Array.from({ length: 20 }, () => dataSource.query('SELECT 1 AS one')))
  t.equal(results.length, 20)
  t.equal(guard.totals.readRetries <= 3, true, 'at most one retry per dead connection')
  await sleep(20)
  t.equal(guard.stats().active, 0)
})

t.test('after a fatal error, idle connections older than it are pinged before reuse', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  // Validation after idle is effectively off here: only the fatal error can cause a ping.
  const { pool } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 3, DB_POOL_VALIDATE_AFTER_IDLE_MS: 600_000 })
  const [idleA, idleB, doomed] = await Promise.all([borrow(pool), borrow(pool), borrow(pool)])
  const counter = countPings([idleA, idleB])
  idleA.release()
  idleB.release()
  ;(await borrow(pool)).release()
  t.equal(counter.pings, 0, 'no ping before any fatal error')

  const admin = await adminConnection()
  t.teardown(() => admin.end())
  await admin.query(`KILL CONNECTION ${doomed.threadId}`)
  await sleep(50)
  await doomed.promise().query('SELECT 1').catch(() => undefined) // fails on the dead connection: the fatal error
  doomed.release()
  const [first, second] = await Promise.all([borrow(pool), borrow(pool)])
  t.equal(counter.pings, 2, 'both older idle connections were validated once')
  first.release()
  second.release()
  ;(await borrow(pool)).release()
  t.equal(counter.pings, 2, 'and not again once they proved themselves')
})
