import t from 'tap'
import { buildTestApp } from '../helper'
import { seedAuthors, seedBooks } from '../fixtures/seed'
import { poolState, waitForIdlePool } from '../support/pool-state'
import { executePooled, poolOf } from '../../src/db/pooled-query'

// The fast read path borrows from the app's own pool (through the guard) and must give every
// connection back, on success, on a failing statement and on a value mysql2 refuses to bind.
t.test('the fast read path borrows from the app pool and always gives the connection back', async (t) => {
  const app = await buildTestApp(t, { DB_POOL_SIZE: 2 })
  const [authorId] = await seedAuthors(app, [{ name: 'Pool' }])
  const ids = await seedBooks(
    app,
    Array.from({ length: 30 }, (_, i) => ({ title: `b${i}`, isbn: `fp${i}`, price: i, stock: i, authorId }))
  )
  const pool = poolOf(app.db)

  await t.test('rows come back as prepared-statement rows, and the connection returns', async (t) => {
    const rows = await executePooled<{ id: number; price: string }>(pool, 'SELECT id, price FROM books WHERE id = ?', [ids[3]])
    t.same(rows, [{ id: ids[3], price: '3.00' }], 'DECIMAL arrives as exact text')
    t.equal((await waitForIdlePool(app)).active, 0)
  })

  await t.test('a failing statement rejects with the driver error and releases', async (t) => {
    const failure = await executePooled(pool, 'SELECT nope FROM books', []).catch((err: { errno?: number }) => err)
    t.equal((failure as { errno?: number }).errno, 1054, 'unknown column')
    await t.rejects(executePooled(pool, 'SELECT ? AS x', [undefined]), /undefined/)
    t.equal((await waitForIdlePool(app)).active, 0)
  })

  await t.test('200 concurrent reads on a pool of 2: all answered, pool idle afterwards', async (t) => {
    const urls = Array.from({ length: 200 }, (_, i) =>
      i % 4 === 0 ? `/books/${ids[i % ids.length]}` : i % 4 === 1 ? '/books/999999' : i % 4 === 2 ? '/books?where.stock.gt=3&orderby.price=desc&limit=5' : '/books?totalCount=true&limit=2'
    )
    const responses = await Promise.all(urls.map((url) => app.inject(url)))
    const statuses = responses.map((response) => response.statusCode)
    t.equal(statuses.filter((s) => s === 200).length, 150)
    t.equal(statuses.filter((s) => s === 404).length, 50)
    t.equal(responses[3].headers['x-total-count'], '30')
    const state = await waitForIdlePool(app)
    t.equal(state.active, 0)
    t.ok(state.total <= 2, `never more than the pool size open (${state.total})`)
    t.same(poolState(app).pending, 0)
  })
})
