import t from 'tap'
import type { PoolConnection } from 'mysql2'
import { createTestDatabase } from '../helper'
import type { GuardedPool } from '../../src/pool/guarded-pool'
import { borrow, guardedDataSource, sleep } from './guard-harness'

// PoolGuard.abandon at the guard's own level, without HTTP: which statement a client's hang-up
// kills, and that a connection is never lent again while a kill may still land on it.

function run(connection: PoolConnection, sql: string): Promise<unknown> {
  return new Promise((resolve, reject) => connection.query(sql, (err, rows) => (err ? reject(err) : resolve(rows))))
}

/** pool.query for `borrower`, as if its request's handler were running now. */
function oneShotFor(pool: GuardedPool, borrower: object, sql: string): Promise<unknown> {
  const guard = pool.guard
  const outer = guard.currentBorrower
  guard.currentBorrower = borrower
  try {
    return new Promise((resolve, reject) => pool.query(sql, (err: unknown, rows: unknown) => (err ? reject(err) : resolve(rows))))
  } finally {
    guard.currentBorrower = outer
  }
}

async function settled(guard: GuardedPool['guard']): Promise<void> {
  const giveUpAt = Date.now() + 2_000
  while (guard.stats().active > 0 && Date.now() < giveUpAt) await sleep(5)
}

t.test("a killed one-shot statement fails with the borrower's error and its connection is lent again", async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, pool } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 1 })
  const borrower = {}
  const other = {}
  const answer = oneShotFor(pool, borrower, 'SELECT SLEEP(5) AS slept, 1 AS n FROM DUAL')
  await sleep(100)
  guard.abandon(other)
  t.equal(guard.stats().active, 1, "another borrower's abandon leaves the statement alone")
  const startedAt = Date.now()
  guard.abandon(borrower)
  const error = await answer.then(() => undefined, (err) => err)
  t.ok(Date.now() - startedAt < 1_000, 'the statement stops soon after the abandon')
  t.match(error, { code: 'LG_BORROWER_GONE', statusCode: 499, stage: 'running' }, 'the pool says why')
  await settled(guard)
  t.same([...guard.totals.destroyedByReason], [], 'the interrupted connection is kept')
  const again = await oneShotFor(pool, {}, 'SELECT 1 AS n')
  t.same(again, [{ n: 1 }], 'and serves the next borrower')
  t.equal(guard.totals.created, 1, 'on the same connection')
})

t.test('a statement that answers before its KILL QUERY lands: the connection is destroyed, never lent again', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, pool, logger } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 1 })
  const connection = await borrow(pool)
  // The kill needs a fresh connection (a TCP and a login round trip); SELECT 1 answers first.
  const answered = run(connection, 'SELECT 1 AS n')
  t.ok(guard.killRunningStatement(connection, 'client_aborted'), 'a statement was running')
  t.ok(guard.killRunningStatement(connection, 'client_aborted'), 'asked twice')
  t.same(await answered, [{ n: 1 }], 'the statement answered on its own')
  connection.release()
  await settled(guard)
  t.equal(guard.totals.destroyedByReason.get('kill_in_flight'), 1, 'destroyed on release: the kill may still land on its next statement')
  const next = await borrow(pool)
  t.not(next, connection, 'the next borrower gets a fresh connection')
  t.same(await run(next, 'SELECT 2 AS n'), [{ n: 2 }])
  next.release()
  const kills = () => logger.lines.filter((line) => line.msg === 'killed the statement nobody waits for').length
  const giveUpAt = Date.now() + 2_000
  while (kills() === 0 && Date.now() < giveUpAt) await sleep(10)
  await sleep(100)
  t.equal(kills(), 1, 'killed once')
})

t.test('an abandoned borrower is refused at once; its queued borrows leave the queue', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const { guard, pool } = await guardedDataSource(t, { ...config, DB_POOL_SIZE: 1, DB_POOL_ACQUIRE_TIMEOUT_MS: 10_000 })
  const held = await borrow(pool)
  const borrower = {}
  const queued = oneShotFor(pool, borrower, 'SELECT 1 AS n').then(() => undefined, (err) => err)
  const stays = oneShotFor(pool, {}, 'SELECT 2 AS n')
  t.equal(guard.stats().pending, 2, 'two borrows wait')
  t.equal(guard.abandon(borrower), 1, 'one is cancelled')
  t.match(await queued, { code: 'LG_BORROWER_GONE', stage: 'queued' })
  t.equal(guard.stats().pending, 1, 'the other still waits')
  const refused = await oneShotFor(pool, borrower, 'SELECT 3 AS n').then(() => undefined, (err) => err)
  t.match(refused, { code: 'LG_BORROWER_GONE' }, 'a later borrow of the abandoned borrower is refused')
  t.equal(guard.totals.borrowsCancelled, 2)
  held.release()
  t.same(await stays, [{ n: 2 }], 'the remaining borrow is served')
})
