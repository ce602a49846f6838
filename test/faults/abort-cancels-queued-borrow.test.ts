import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { PoolConnection } from 'mysql2'
import { buildTestApp } from '../helper'
import { executePooled, poolOf } from '../../src/db/pooled-query'
import type { GuardedPool } from '../../src/pool/guarded-pool'
import { assertPoolSettled, sleep } from './fault-support'

// Issue 8, "Pool guard, round two", task 3: a borrow still waiting in the pool's queue when its
// client hangs up is cancelled, taken out of the queue and never handed a connection, so
// aborted requests do not consume capacity under overload.

/** The only connection of the pool, held outside any request. */
function holdConnection(app: FastifyInstance): Promise<PoolConnection> {
  const pool = (app.db.driver as unknown as { pool: GuardedPool }).pool
  return new Promise((resolve, reject) => pool.getConnection((err, connection) => (err ? reject(err) : resolve(connection!))))
}

/** A metric's value in a /metrics scrape (0 when the series is not there). */
function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const giveUpAt = Date.now() + timeoutMs
  while (!condition() && Date.now() < giveUpAt) await sleep(5)
  return condition()
}

t.test('a hang-up while queued for the only connection cancels the borrow: never served, the next request is', async (t) => {
  const app = await buildTestApp(t, { DB_POOL_SIZE: 1, DB_POOL_ACQUIRE_TIMEOUT_MS: 10_000 })
  const pool = poolOf(app.db)
  let statementsRun = 0
  let handlerError: { code?: string } | undefined
  app.get('/test/queued-read', async () => {
    try {
      await executePooled(pool, "SELECT 'queued-read' AS marker", [])
    } catch (err) {
      handlerError = err as { code?: string }
      throw err
    }
    statementsRun++
    return { ok: true }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const acquiredSoFar = async () => metricValue((await app.inject('/metrics')).body, 'db_pool_acquire_seconds_count{node="primary"}')

  const held = await holdConnection(app)
  const acquiredBefore = await acquiredSoFar()
  const req = http.request({ host: '127.0.0.1', port, path: '/test/queued-read', method: 'GET' })
  req.on('error', () => {}) // the hang-up we cause
  req.end()
  t.ok(await waitFor(() => app.poolGuard.stats().pending === 1, 5_000), 'the request waits in the queue for the only connection')

  req.destroy()
  // Cancelled while the connection is still held: nothing but the cancel can empty the queue.
  t.ok(await waitFor(() => app.poolGuard.stats().pending === 0, 1_000), 'the hang-up takes the borrow out of the queue at once')
  t.equal(app.poolGuard.stats().active, 1, 'the held connection is still held')
  held.release()

  const startedAt = Date.now()
  const next = await app.inject('/test/queued-read')
  const servedInMs = Date.now() - startedAt
  t.equal(next.statusCode, 200, 'the next request is served')
  t.ok(servedInMs < 500, `at once (${servedInMs} ms), not after the aborted one`)

  await assertPoolSettled(t, app)
  t.equal(statementsRun, 1, 'only the next request ran its statement')
  t.match(handlerError, { code: 'LG_BORROWER_GONE' }, 'the aborted request was answered with the pool cancellation')
  const metrics = (await app.inject('/metrics')).body
  t.equal(metricValue(metrics, 'db_pool_acquire_seconds_count{node="primary"}') - acquiredBefore, 1, 'one borrow served since: the next request, not the aborted one')
  t.equal(metricValue(metrics, 'db_pool_borrows_cancelled_total{node="primary"}'), 1, 'the cancelled borrow is counted')
  t.match(metrics, /http_requests_aborted_total\{method="GET",route="\/test\/queued-read"\} 1/, 'the abort is counted')
  t.equal(metricValue(metrics, 'db_pool_timeouts_total{node="primary",reason="acquire_timeout"}'), 0, 'nothing timed out')
})

t.test('under overload, hung-up requests give their places in the queue to the ones still waiting', async (t) => {
  const app = await buildTestApp(t, { DB_POOL_SIZE: 1, DB_POOL_ACQUIRE_TIMEOUT_MS: 10_000 })
  const pool = poolOf(app.db)
  let statementsRun = 0
  app.get('/test/queued-read', async () => {
    await executePooled(pool, "SELECT 'queued-read' AS marker", [])
    statementsRun++
    return { ok: true }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo

  const held = await holdConnection(app)
  const abandoned = Array.from({ length: 20 }, () => {
    const req = http.request({ host: '127.0.0.1', port, path: '/test/queued-read', method: 'GET' })
    req.on('error', () => {})
    req.end()
    return req
  })
  t.ok(await waitFor(() => app.poolGuard.stats().pending === 20, 5_000), '20 requests queue for the only connection')
  const waiting = app.inject('/test/queued-read') // queued last, behind all of them
  t.ok(await waitFor(() => app.poolGuard.stats().pending === 21, 5_000), 'one more queues behind them')
  for (const req of abandoned) req.destroy()
  t.ok(await waitFor(() => app.poolGuard.stats().pending === 1, 1_000), 'the 20 hung-up borrows leave the queue')
  held.release()

  const response = await waiting
  t.equal(response.statusCode, 200, 'the request still waiting is served')
  await assertPoolSettled(t, app)
  t.equal(statementsRun, 1, 'none of the hung-up requests ran a statement')
  t.equal(app.poolGuard.totals.borrowsCancelled, 20, 'each hung-up borrow is counted as cancelled')
})
