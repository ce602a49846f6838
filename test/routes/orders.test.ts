import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../helper'
import { poolState, waitForIdlePool } from '../support/pool-state'

async function seedBook(app: FastifyInstance, stock: number): Promise<{ id: number; version: number }> {
  const [author] = await app.db.query('INSERT INTO authors (name) VALUES (?) RETURNING id', ['Ursula'])
  const isbn = `978-${Math.floor(Math.random() * 1e9)}`
  const [book] = await app.db.query(
    'INSERT INTO books (title, isbn, price, stock, authorId, version) VALUES (?, ?, ?, ?, ?, 1) RETURNING id, version',
    ['The Dispossessed', isbn, 12.5, stock, author.id]
  )
  return book
}

async function bookRow(app: FastifyInstance, id: number) {
  const [row] = await app.db.query('SELECT stock, version FROM books WHERE id = ?', [id])
  return row as { stock: number; version: number }
}

async function bookTimestamps(app: FastifyInstance, id: number) {
  const [row] = await app.db.query('SELECT createdAt, updatedAt FROM books WHERE id = ?', [id])
  return row as { createdAt: Date; updatedAt: Date }
}

t.test('an order takes copies out of stock and answers 201 with Location', async (t) => {
  const app = await buildTestApp(t)
  const book = await seedBook(app, 5)
  const [{ orderedAfter }] = await app.db.query('SELECT NOW(3) AS orderedAfter')
  const res = await app.inject({ method: 'POST', url: '/orders', payload: { bookId: book.id, quantity: 2 } })
  t.equal(res.statusCode, 201)
  const order = res.json()
  t.match(order, { bookId: book.id, quantity: 2, status: 'placed' })
  t.type(order.id, 'number')
  t.match(order.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/)
  t.equal(res.headers.location, `/orders/${order.id}`)
  const after = await bookRow(app, book.id)
  t.equal(after.stock, 3)
  t.equal(after.version, book.version + 1, 'the version (ETag) changes with the stock')
  const { createdAt, updatedAt } = await bookTimestamps(app, book.id)
  t.ok(updatedAt.getTime() >= createdAt.getTime(), 'updatedAt is never before createdAt')
  const [{ orderedBefore }] = await app.db.query('SELECT NOW(3) AS orderedBefore')
  // A whole-second CURRENT_TIMESTAMP would round out of this window (MariaDB rounds to the second).
  t.ok(
    updatedAt.getTime() >= orderedAfter.getTime() && updatedAt.getTime() <= orderedBefore.getTime(),
    'updatedAt is the order time, to the millisecond'
  )
  const [stored] = await app.db.query('SELECT bookId, quantity, status FROM orders WHERE id = ?', [order.id])
  t.same(stored, { bookId: book.id, quantity: 2, status: 'placed' })
  t.equal(poolState(app).active, 0)
})

t.test('50 concurrent orders for a book with stock 10 sell exactly 10 copies', async (t) => {
  const app = await buildTestApp(t)
  const book = await seedBook(app, 10)
  const responses = await Promise.all(
    Array.from({ length: 50 }, () =>
      app.inject({ method: 'POST', url: '/orders', payload: { bookId: book.id, quantity: 1 } })
    )
  )
  const statuses = responses.map((res) => res.statusCode)
  t.equal(statuses.filter((s) => s === 201).length, 10, '10 created')
  t.equal(statuses.filter((s) => s === 409).length, 40, 'the other 40 are conflicts')
  const conflict = responses.find((res) => res.statusCode === 409)!
  t.match(conflict.headers['content-type'], /^application\/problem\+json/)
  t.match(conflict.json(), { status: 409, detail: `book ${book.id} has 0 in stock, 1 requested` })
  const [{ count }] = await app.db.query('SELECT COUNT(*) AS count FROM orders WHERE bookId = ?', [book.id])
  t.equal(Number(count), 10, 'exactly 10 orders stored')
  t.equal((await bookRow(app, book.id)).stock, 0, 'stock is 0, never negative')
  const ids = new Set(responses.filter((r) => r.statusCode === 201).map((r) => r.headers.location))
  t.equal(ids.size, 10, 'every created order has its own Location')
  t.match(await waitForIdlePool(app), { active: 0, pending: 0 })
})

t.test('short stock is a 409 problem and changes nothing', async (t) => {
  const app = await buildTestApp(t)
  const book = await seedBook(app, 3)
  const res = await app.inject({ method: 'POST', url: '/orders', payload: { bookId: book.id, quantity: 4 } })
  t.equal(res.statusCode, 409)
  t.match(res.json(), {
    type: 'https://lifeguard.dev/problems/insufficient-stock',
    title: 'Conflict',
    status: 409,
    detail: `book ${book.id} has 3 in stock, 4 requested`,
    instance: '/orders'
  })
  t.same(await bookRow(app, book.id), { stock: 3, version: book.version })
  const [{ count }] = await app.db.query('SELECT COUNT(*) AS count FROM orders')
  t.equal(Number(count), 0)
})

t.test('an unknown book is a 404 problem', async (t) => {
  const app = await buildTestApp(t)
  const res = await app.inject({ method: 'POST', url: '/orders', payload: { bookId: 999999, quantity: 1 } })
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { status: 404, detail: 'book 999999 does not exist' })
  t.equal(poolState(app).active, 0)
})

t.test('bad bodies are 400 problems naming the field, and store nothing', async (t) => {
  const app = await buildTestApp(t)
  const cases: Array<[unknown, RegExp]> = [
    [{ bookId: 1 }, /body\.quantity/],
    [{ bookId: 1, quantity: 0 }, /body\.quantity/],
    [{ bookId: 1, quantity: 1001 }, /body\.quantity/],
    [{ bookId: 'one', quantity: 1 }, /body\.bookId/],
    [{ bookId: 1, quantity: 1.5 }, /body\.quantity/],
    [{ bookId: 1, quantity: 1, price: 0 }, /body\.price/]
  ]
  for (const [payload, path] of cases) {
    const res = await app.inject({ method: 'POST', url: '/orders', payload: payload as object })
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.match(res.json().errors?.[0]?.path, path, JSON.stringify(payload))
  }
  const [{ count }] = await app.db.query('SELECT COUNT(*) AS count FROM orders')
  t.equal(Number(count), 0)
})

t.test('OpenAPI documents POST /orders with its body, 201 and problem responses', async (t) => {
  const app = await buildTestApp(t)
  const doc = (await app.inject('/openapi.json')).json()
  const post = doc.paths['/orders']?.post
  t.ok(post, 'POST /orders is documented')
  t.same(post.requestBody.content['application/json'].schema.required, ['bookId', 'quantity'])
  t.ok(post.responses['201'].headers.location, 'Location documented')
  for (const status of ['400', '404', '409']) {
    t.ok(post.responses[status].content['application/problem+json'], `${status} is problem+json`)
  }
})
