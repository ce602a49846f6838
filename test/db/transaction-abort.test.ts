import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { Author } from '../../entities'
import { adminConnection, buildTestApp } from '../helper'
import { poolState, waitForIdlePool } from '../support/pool-state'
import { openTransactions } from '../support/server-state'

/** Sends a request and destroys the socket as soon as `abortWhen` resolves. */
function requestThenHangUp(app: FastifyInstance, path: string, abortWhen: Promise<void>): Promise<void> {
  const { port } = app.server.address() as AddressInfo
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST' })
    req.on('error', () => resolve()) // the hang-up we cause
    req.on('response', () => resolve())
    req.end()
    abortWhen.then(() => req.destroy())
  })
}

function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

/** Transactions the server still holds open on the test database. */
async function openTransactionsOn(database: string): Promise<number> {
  const admin = await adminConnection()
  try {
    return await openTransactions(admin, database)
  } finally {
    await admin.end()
  }
}

t.test('a client that hangs up mid-transaction gets its writes rolled back and its connection released', async (t) => {
  const app = await buildTestApp(t, { DB_POOL_SIZE: 2 })
  const wrote = deferred()
  const handlerDone = deferred()
  let queryAfterAbort: unknown
  app.post('/test/slow-write', { config: { transactional: true } }, async (request, reply) => {
    const tx = await request.tx()
    await tx.insert(Author, { name: 'abandoned' })
    // Carry on only once the server has seen the hang-up, as a slow handler would.
    const seenClose = new Promise((resolve) => reply.raw.once('close', resolve))
    wrote.resolve()
    await seenClose
    try {
      await tx.insert(Author, { name: 'after the hang-up' })
    } catch (err) {
      queryAfterAbort = err
      throw err
    } finally {
      handlerDone.resolve()
    }
    return { ok: true }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })

  await requestThenHangUp(app, '/test/slow-write', wrote.promise)
  await handlerDone.promise
  t.match(queryAfterAbort, { code: 'LG_CLIENT_CLOSED_REQUEST' }, 'the next query fails fast')
  t.match(await waitForIdlePool(app), { active: 0, pending: 0 }, 'the connection is back')
  const rows = await app.db.query('SELECT name FROM authors')
  t.same(rows, [], 'nothing the handler wrote survives')
  t.equal(await openTransactionsOn(app.db.options.database as string), 0, 'no transaction left open on the server')
})

t.test('a hang-up while waiting for the pool cancels the borrow: the connection never reaches the abandoned transaction', async (t) => {
  const app = await buildTestApp(t, { DB_POOL_SIZE: 1 })
  const firstHolds = deferred()
  const releaseFirst = deferred()
  const secondSawClose = deferred()
  const secondDone = deferred()
  let secondError: unknown
  app.post('/test/hold', { config: { transactional: true } }, async (request) => {
    await (await request.tx()).insert(Author, { name: 'kept' })
    firstHolds.resolve()
    await releaseFirst.promise
    return { ok: true }
  })
  app.post('/test/queued', { config: { transactional: true } }, async (request, reply) => {
    reply.raw.once('close', () => secondSawClose.resolve())
    try {
      const tx = await request.tx() // waits: the only connection is held by /test/hold
      await tx.insert(Author, { name: 'never' })
    } catch (err) {
      secondError = err
      throw err
    } finally {
      secondDone.resolve()
    }
    return { ok: true }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo

  const first = fetch(`http://127.0.0.1:${port}/test/hold`, { method: 'POST' })
  await firstHolds.promise
  const waiting = (async () => {
    while (poolState(app).pending === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  })()
  await requestThenHangUp(app, '/test/queued', waiting)
  await secondSawClose.promise
  // The borrow is cancelled at the hang-up, while the only connection is still held.
  await secondDone.promise
  t.match(secondError, { code: 'LG_BORROWER_GONE' }, 'the queued borrow is answered with the cancellation')
  t.equal(poolState(app).pending, 0, 'it left the queue before the connection came free')
  t.equal(app.poolGuard.totals.borrowsCancelled, 1, 'counted as cancelled')
  releaseFirst.resolve()
  t.equal((await first).status, 200)
  t.match(await waitForIdlePool(app), { active: 0, pending: 0 })
  t.same(await app.db.query('SELECT name FROM authors'), [{ name: 'kept' }])
  t.equal(await openTransactionsOn(app.db.options.database as string), 0)
})
