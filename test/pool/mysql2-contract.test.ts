import t from 'tap'
import { createTestDatabase } from '../helper'
import { borrow, guardedDataSource, sleep } from './guard-harness'
import { idleConnections, idleCount, isGone, isMariaDb, lastActiveTime, totalConnections } from '../../src/pool/mysql2-internals'

// Issue 8 item 9: the guard relies on private fields and event order of mysql2 (and on how
// TypeORM loads its driver). If an upgrade changes any of them, this fails loudly, naming
// what changed, instead of the guard silently losing validation, lifetimes or its counts.
// docs/pool.md ("Limits") lists the same things.
t.test('what the pool guard relies on in mysql2 and TypeORM still holds', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, dataSource, pool } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 2 })
  const inner = (guard as unknown as { inner: import('mysql2').Pool }).inner

  t.equal((dataSource.driver as unknown as { pool: unknown }).pool, pool, "TypeORM's driver.pool is the guard's GuardedPool (options.driver.createPool was used)")
  for (const field of ['_allConnections', '_freeConnections'] as const) {
    const queue = (inner as unknown as Record<string, { length?: unknown; get?: unknown }>)[field]
    t.ok(queue && typeof queue.length === 'number' && typeof queue.get === 'function', `mysql2 Pool.${field} is a queue with length and get()`)
  }

  const before = totalConnections(inner)
  const connection = await borrow(pool)
  t.equal(totalConnections(inner), Math.max(before, 1), '_allConnections counts the lent connection')
  t.equal(isMariaDb(connection), true, 'PoolConnection._isMariaDB is set from the handshake')
  t.equal(isGone(connection), false, "a live connection's state is neither 'error' nor 'disconnected'")
  const idleBefore = idleCount(inner)
  const releasedAt = Date.now()
  await sleep(5)
  connection.release()
  await sleep(20)
  t.equal(idleCount(inner), idleBefore + 1, '_freeConnections holds it once released')
  t.ok(idleConnections(inner).includes(connection), '_freeConnections.get() yields the connection itself')
  t.type(lastActiveTime(connection), 'number', 'PoolConnection.lastActiveTime is a number')
  t.ok(lastActiveTime(connection) >= releasedAt, 'lastActiveTime moves on release')

  const doomed = await borrow(pool)
  const threadId = doomed.threadId
  await dataSource.query(`KILL CONNECTION ${Number(threadId)}`)
  await new Promise<void>((resolve) => doomed.query('SELECT 1', () => resolve()))
  await sleep(50)
  t.equal(isGone(doomed), true, "a killed connection's state is 'error' or 'disconnected'")
  doomed.release()
  await sleep(50)
  t.equal(guard.stats().active, 0, 'the guard gave its slot back')
})
