import t, { type Test } from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { adminConnection, buildTestApp } from '../helper'
import { executePooled, poolOf } from '../../src/db/pooled-query'
import { appWithLog } from '../http/log-capture'
import { assertPoolSettled, hangUpWhileRunning } from './fault-support'

// Issue 8 item 2, for reads outside a transaction: a client that hangs up while its GET's
// statement runs on a borrowed pool connection gets that statement killed on the server, the
// connection goes back to the pool healthy, and the abort is counted as a transaction's is.

type Admin = Awaited<ReturnType<typeof adminConnection>>

/** Sends a GET on a real socket (inject cannot hang up) and gives the caller the hang-up. */
function getThenHangUp(app: FastifyInstance, path: string): http.ClientRequest {
  const { port } = app.server.address() as AddressInfo
  const req = http.request({ host: '127.0.0.1', port, path, method: 'GET' })
  req.on('error', () => {}) // the hang-up we cause
  req.end()
  return req
}

/** Statements of the app's database whose text matches `like`, other than our own look-up. */
async function statementsLike(admin: Admin, database: string, like: string): Promise<number> {
  const [rows] = (await admin.query(
    "SELECT id FROM information_schema.processlist WHERE db = ? AND command IN ('Query', 'Execute') AND info LIKE ? AND info NOT LIKE '%processlist%'",
    [database, like]
  )) as any
  return rows.length
}

async function metricsOf(app: FastifyInstance): Promise<string> {
  return (await app.inject('/metrics')).body
}

t.test('client abort during a 5 s one-shot pool read: gone from the server within 1 s, connection reused, counted', async (t) => {
  const { app, lines } = await appWithLog(t, { DB_POOL_SIZE: 2, LOG_LEVEL: 'info' })
  const database = app.db.options.database as string
  const pool = poolOf(app.db)
  app.get('/test/slow-read', async () => {
    await executePooled(pool, "SELECT SLEEP(5) AS slept, 'abort-kills-read' AS marker", [])
    return { ok: true }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const admin = await adminConnection()
  t.teardown(() => admin.end())
  const createdBefore = app.poolGuard.totals.created

  const req = getThenHangUp(app, '/test/slow-read')
  await hangUpWhileRunning(t, req, () => statementsLike(admin, database, '%abort-kills-read%'))

  await assertPoolSettled(t, app)
  t.equal(app.poolGuard.totals.destroyedByReason.size, 0, 'no connection was destroyed: the killed read left it usable')
  t.ok(app.poolGuard.totals.created - createdBefore <= 1, 'the pool did not replace the connection')
  const metrics = await metricsOf(app)
  t.match(metrics, /http_requests_aborted_total\{method="GET",route="\/test\/slow-read"\} 1/, 'the abort is counted')
  t.equal(app.poolGuard.totals.readRetries, 0, 'the killed read was not run again')
  t.equal(lines.filter((line) => line.msg === 'client closed the request before its response').length, 1, 'the abort is logged once at info')
  t.same(
    lines.filter((line) => line.level >= 40).map((line) => line.msg),
    [],
    'nothing is logged as a warning or an error: the killed statement is the abort, not a failure'
  )
  const served = await app.inject('/authors')
  t.equal(served.statusCode, 200, 'the pool still serves')
})

/**
 * GETs `path` while `LOCK TABLES books WRITE` holds its books statement, hangs up once that
 * statement runs, and checks it is killed, the pool settles whole and the abort is counted;
 * returns the app for the caller's check that the route serves again.
 */
async function hangUpBehindBooksLock(t: Test, path: string, route: string, seed: (app: FastifyInstance) => Promise<void> = async () => {}) {
  const app = await buildTestApp(t, { DB_POOL_SIZE: 2 })
  const database = app.db.options.database as string
  await seed(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const admin = await adminConnection()
  t.teardown(() => admin.end())
  const locker = await adminConnection(database)
  t.teardown(() => locker.end())
  await locker.query('LOCK TABLES books WRITE')

  const req = getThenHangUp(app, path)
  await hangUpWhileRunning(t, req, () => statementsLike(admin, database, 'SELECT%books%'))

  await locker.query('UNLOCK TABLES')
  await assertPoolSettled(t, app)
  t.equal(app.poolGuard.totals.destroyedByReason.size, 0, 'no connection was destroyed')
  t.match(await metricsOf(app), new RegExp(`http_requests_aborted_total\\{method="GET",route="${route}"\\} 1`), 'the abort is counted')
  return app
}

t.test('client abort of GET /books/:id waiting on a table lock: its statement is killed, the lock holder untouched', async (t) => {
  // The entity route's own statement, on the read path the API serves, blocks behind the lock.
  const app = await hangUpBehindBooksLock(t, '/books/1', '/books/:id')
  t.equal((await app.inject('/books/1')).statusCode, 404, 'the same route serves the next request')
})

t.test("client abort while a list's embed waits (its second statement, after the handler's first await): killed too", async (t) => {
  // The authors page reads; the books embed, a statement of its own, blocks behind the lock.
  const app = await hangUpBehindBooksLock(t, '/authors?include=books', '/authors', async (app) => {
    await app.db.query("INSERT INTO authors (id, name) VALUES (1, 'Embedded')")
    await app.db.query("INSERT INTO books (title, isbn, price, stock, authorId, version) VALUES ('Held', '978-abort-embed', 1, 1, 1, 1)")
  })
  const served = await app.inject('/authors?include=books')
  t.equal(served.json()[0].books.length, 1, 'the same route serves the next request')
})
