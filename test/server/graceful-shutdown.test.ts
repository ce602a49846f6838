import t from 'tap'
import http from 'node:http'
import { adminConnection, createTestDatabase } from '../helper'
import { listeningUrl, startServer } from '../support/server-process'

const IN_FLIGHT = 100

interface Outcome {
  status?: number
  error?: string
}

/** POSTs an order on its own connection; `written` resolves once the request is fully sent. */
function placeOrder(base: string, bookId: number) {
  let written!: () => void
  const sent = new Promise<void>((resolve) => (written = resolve))
  const done = new Promise<Outcome>((resolve) => {
    const req = http.request(`${base}/orders`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json' }
    })
    req.on('finish', () => written())
    req.on('response', (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode }))
    })
    req.on('error', (err: NodeJS.ErrnoException) => {
      written()
      resolve({ error: err.code ?? err.message })
    })
    req.end(JSON.stringify({ bookId, quantity: 1 }))
  })
  return { sent, done }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`timed out waiting for ${what}`)
}

t.test('SIGTERM with 100 requests in flight: all complete, then the pool closes', async (t) => {
  const config = await createTestDatabase(t)
  const database = new URL(config.DATABASE_URL).pathname.slice(1)
  const admin = await adminConnection(database)
  t.teardown(() => admin.end())
  await admin.query("INSERT INTO authors (id, name) VALUES (1, 'Octavia')")
  await admin.query("INSERT INTO books (id, title, isbn, price, stock, authorId, version) VALUES (1, 'Kindred', '978-0', 9.99, 1000, 1, 1)")
  const [[{ adminId }]] = (await admin.query('SELECT CONNECTION_ID() AS adminId')) as any

  // The orders wait on purpose, longer than the default acquire timeout might allow on a busy machine.
  const child = startServer({
    DATABASE_URL: config.DATABASE_URL,
    DB_POOL_SIZE: '2',
    DB_POOL_ACQUIRE_TIMEOUT_MS: '30000',
    LOG_LEVEL: 'info'
  })
  t.teardown(() => child.kill('SIGKILL'))
  const base = await listeningUrl(child)

  // Hold the book's row lock, so every order queues: 2 on the pool's connections, 98 for the pool.
  await admin.query('START TRANSACTION')
  await admin.query('SELECT id FROM books WHERE id = 1 FOR UPDATE')
  const orders = Array.from({ length: IN_FLIGHT }, () => placeOrder(base, 1))
  await Promise.all(orders.map((order) => order.sent))
  const blockedOnLock = async () => {
    const [rows] = await admin.query(
      "SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = ? AND id <> ? AND info LIKE '%FOR UPDATE%'",
      [database, adminId]
    )
    return Number((rows as Array<{ n: number }>)[0].n)
  }
  await waitFor('both pooled connections to block on the row lock', async () => (await blockedOnLock()) === 2)
  // Every request has been written; give the server a moment to read them all off their sockets.
  await new Promise((resolve) => setTimeout(resolve, 300))

  child.kill('SIGTERM')
  await waitFor('the server to act on SIGTERM', async () => /shutting down gracefully/.test(child.output.stdout))
  const late = await placeOrder(base, 1).done
  // Refused at the socket, or (if it slipped in while the listener closed) answered 503 at once.
  t.ok(
    late.error === 'ECONNREFUSED' || late.error === 'ECONNRESET' || late.status === 503,
    `a request arriving after SIGTERM is refused (${late.status ?? late.error})`
  )
  t.equal(child.exitCode, null, 'still running while requests are in flight')

  await admin.query('COMMIT') // let the queued orders through
  const outcomes = await Promise.all(orders.map((order) => order.done))
  const statuses = outcomes.map((outcome) => outcome.status ?? outcome.error)
  t.same(
    statuses.filter((status) => status !== 201),
    [],
    `all ${IN_FLIGHT} in-flight orders complete with 201`
  )
  t.equal(await child.exited, 0, 'then the process exits 0')
  const log = child.output.stdout
  const closedAt = log.indexOf('database pool closed')
  t.ok(closedAt >= 0, 'the pool-closed line was logged')
  t.ok(closedAt > log.lastIndexOf('"msg":"request completed"'), 'the pool closed after the last request completed')

  const [[{ stock }]] = (await admin.query('SELECT stock FROM books WHERE id = 1')) as any
  const [[{ placed }]] = (await admin.query('SELECT COUNT(*) AS placed FROM orders')) as any
  t.equal(Number(placed), IN_FLIGHT, 'every order was stored')
  t.equal(stock, 1000 - IN_FLIGHT)

  // The process has exited, so its sockets are closed; the server may take a moment to notice.
  const poolConnectionsLeft = async () => {
    const [rows] = await admin.query(
      'SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = ? AND id <> ?',
      [database, adminId]
    )
    return Number((rows as Array<{ n: number }>)[0].n)
  }
  await waitFor('the server to drop the pool connections', async () => (await poolConnectionsLeft()) === 0, 3_000).catch(
    () => undefined
  )
  t.equal(await poolConnectionsLeft(), 0, 'no connection of the pool is left on the server')
})
