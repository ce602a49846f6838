import t, { type Test } from 'tap'
import { buildTestApp } from '../helper'
import { seedAuthors, seedBooks } from '../fixtures/seed'

// Issue 8 item 8: `Server-Timing: pool;dur=…, db;dur=…` on API responses (HTTP_SERVER_TIMING,
// on by default), measured by the pool guard for the request that borrowed.

const HEADER = /^pool;dur=(\d+\.\d\d), db;dur=(\d+\.\d\d)$/

/** The two durations of a response's Server-Timing header, in ms; fails the test when it is malformed. */
function timingOf(t: Test, headers: Record<string, unknown>, what: string): { pool: number; db: number } {
  const value = String(headers['server-timing'])
  const match = HEADER.exec(value)
  t.ok(match, `${what}: Server-Timing is well-formed (${value})`)
  return { pool: Number(match?.[1]), db: Number(match?.[2]) }
}

t.test('a get and a list carry pool and db time; a transaction counts its statements', async (t) => {
  const app = await buildTestApp(t)
  const [authorId] = await seedAuthors(app, [{ name: 'Ursula' }])
  const [bookId] = await seedBooks(app, [{ title: 'Lathe', isbn: '9780000000001', price: 9.5, stock: 5, authorId }])

  const get = await app.inject(`/books/${bookId}`)
  t.equal(get.statusCode, 200)
  const gotTiming = timingOf(t, get.headers, 'get')
  t.ok(gotTiming.db > 0, `the get's statement took time (${gotTiming.db} ms)`)
  t.ok(gotTiming.pool >= 0)

  const list = await app.inject('/books?totalCount=true')
  t.equal(list.statusCode, 200)
  t.ok(timingOf(t, list.headers, 'list').db > 0, 'the list and its count took time')

  const missing = await app.inject('/books/999999')
  t.equal(missing.statusCode, 404)
  t.ok(timingOf(t, missing.headers, 'a 404').db > 0, 'an error response carries it too')

  const created = await app.inject({
    method: 'POST',
    url: '/books',
    payload: { title: 'Dispossessed', isbn: '9780000000002', price: 8, stock: 3, authorId }
  })
  t.equal(created.statusCode, 201, created.body)
  t.ok(timingOf(t, created.headers, 'create').db > 0, 'a create is counted')
  const patched = await app.inject({ method: 'PATCH', url: `/books/${bookId}`, payload: { stock: 9 } })
  t.equal(patched.statusCode, 200, patched.body)
  t.ok(timingOf(t, patched.headers, 'patch').db > 0, 'a patch is counted')

  const order = await app.inject({ method: 'POST', url: '/orders', payload: { bookId, quantity: 1 } })
  t.equal(order.statusCode, 201, order.body)
  t.ok(timingOf(t, order.headers, 'order').db > 0, 'the request transaction\'s statements are counted')

  t.equal((await app.inject('/health/live')).headers['server-timing'], undefined, 'health does not carry it')
})

t.test('the durations are the real ones: a 300 ms statement, and a wait behind it for the only connection', async (t) => {
  const app = await buildTestApp(t, { DB_POOL_SIZE: 1, DB_POOL_ACQUIRE_TIMEOUT_MS: 5_000 })
  app.get('/test/slow', async () => app.db.query('SELECT SLEEP(0.3) AS slept'))
  await app.ready()
  const first = app.inject('/test/slow')
  await new Promise((resolve) => setTimeout(resolve, 50))
  const second = app.inject('/test/slow')
  const [a, b] = await Promise.all([first, second])
  const ta = timingOf(t, a.headers, 'first')
  const tb = timingOf(t, b.headers, 'second')
  t.ok(ta.db >= 290 && ta.db < 1_000, `the first's statement: ${ta.db} ms`)
  t.ok(ta.pool < 100, `the first did not wait: ${ta.pool} ms`)
  t.ok(tb.pool >= 200 && tb.pool < ta.db, `the second waited for the connection, from its own arrival: ${tb.pool} ms`)
  t.ok(tb.db >= 290 && tb.db < 1_000, `then ran its own: ${tb.db} ms (the first's time is not added to it)`)
})

t.test('HTTP_SERVER_TIMING=false: no header', async (t) => {
  const app = await buildTestApp(t, { HTTP_SERVER_TIMING: false })
  const list = await app.inject('/books')
  t.equal(list.statusCode, 200)
  t.equal(list.headers['server-timing'], undefined)
  t.equal((await app.inject('/books/1')).headers['server-timing'], undefined)
})
