import t from 'tap'
import { createTestDatabase, adminConnection } from '../helper'
import { borrow, guardedDataSource, sleep } from './guard-harness'

t.test('a read on a connection the server killed is retried once on a fresh one', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, pool } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 2 })
  const admin = await adminConnection()
  t.teardown(() => admin.end())
  const doomed = await borrow(pool)
  await admin.query(`KILL CONNECTION ${doomed.threadId}`)
  await sleep(50)
  const [[row]] = (await doomed.promise().query('SELECT 41 + 1 AS answer')) as any
  t.equal(row.answer, 42, 'the caller never saw the dead connection')
  t.equal(guard.totals.readRetries, 1)
  doomed.release()
  t.ok(guard.totals.destroyedByReason.size > 0, 'the dead connection was destroyed')
  t.equal(guard.stats().active, 0, 'nothing is left lent out')
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
  let pings = 0
  for (const connection of [idleA, idleB]) {
    const ping = connection.ping.bind(connection)
    connection.ping = ((callback: any) => {
      pings++
      return ping(callback)
    }) as typeof connection.ping
  }
  idleA.release()
  idleB.release()
  ;(await borrow(pool)).release()
  t.equal(pings, 0, 'no ping before any fatal error')

  const admin = await adminConnection()
  t.teardown(() => admin.end())
  await admin.query(`KILL CONNECTION ${doomed.threadId}`)
  await sleep(50)
  await doomed.promise().query('SELECT 1') // fails on the dead connection, retried elsewhere
  doomed.release()
  const [first, second] = await Promise.all([borrow(pool), borrow(pool)])
  t.equal(pings, 2, 'both older idle connections were validated once')
  first.release()
  second.release()
  ;(await borrow(pool)).release()
  t.equal(pings, 2, 'and not again once they proved themselves')
})
