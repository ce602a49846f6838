import t from 'tap'
import type { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver'
import { buildApp } from '../../src/app'
import { createTestDatabase } from '../helper'
import { seedAuthors } from '../fixtures/seed'

/**
 * `mysql://` selects TypeORM's MySQL dialect, which has no INSERT ... RETURNING. There is no
 * MySQL server here, but MariaDB speaks that dialect, so the paths written for MySQL run for real.
 */
t.test('with a mysql:// URL, creating a book and placing an order work without RETURNING', async (t) => {
  const config = await createTestDatabase(t)
  const app = await buildApp({ ...config, DATABASE_URL: config.DATABASE_URL.replace(/^mariadb:/, 'mysql:') })
  t.teardown(() => app.close())
  t.equal(app.db.options.type, 'mysql', 'the MySQL dialect is in use')
  t.equal((app.db.driver as MysqlDriver).isReturningSqlSupported('insert'), false, 'so no RETURNING')

  const [authorId] = await seedAuthors(app, [{ name: 'Octavia E. Butler' }])
  const book = { title: 'Kindred', isbn: '978-0807083697', price: 9.99, stock: 3, authorId }
  const created = await app.inject({ method: 'POST', url: '/books', payload: book })
  t.equal(created.statusCode, 201)
  const stored = created.json()
  t.match(stored, { ...book, version: 1 }, 'the answer is the stored book')
  t.same((await app.inject(`/books/${stored.id}`)).json(), stored, 'as GET returns it')

  const ordered = await app.inject({ method: 'POST', url: '/orders', payload: { bookId: stored.id, quantity: 2 } })
  t.equal(ordered.statusCode, 201)
  const order = ordered.json()
  t.match(order, { bookId: stored.id, quantity: 2, status: 'placed' })
  t.type(order.id, 'number')
  t.match(order.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  t.equal(ordered.headers.location, `/orders/${order.id}`)
  t.same((await app.inject(`/orders/${order.id}`)).json(), order, 'the POST answer is the row GET returns')
  const [{ stock }] = await app.db.query('SELECT stock FROM books WHERE id = ?', [stored.id])
  t.equal(stock, 1)

  const short = await app.inject({ method: 'POST', url: '/orders', payload: { bookId: stored.id, quantity: 2 } })
  t.equal(short.statusCode, 409, 'short stock is still a 409')
})
