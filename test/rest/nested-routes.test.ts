import t from 'tap'
import { demoApp, rowsOf } from '../fixtures/demo-app'
import { problemOf } from '../fixtures/seed'
import { walkPages } from '../fixtures/paging'

/** GET and POST /<parent>/:id/<to-many> (src/rest/nested-routes.ts), on the demo data. */
t.test('nested routes: GET and POST /authors/:id/books', async (t) => {
  const app = await demoApp(t)
  const books = await rowsOf(app, '/books?limit=100')
  const own = await rowsOf(app, '/authors/3/books?limit=100')
  t.same(own, books.filter((book) => book.authorId === 3), "GET: the author's books, as /books shows them")
  const filtered = await app.inject('/authors/3/books?where.price.lt=7&orderby.price=desc&fields=id,price&totalCount=true&limit=2')
  t.same(filtered.json(), [{ id: 10, price: 6.99 }, { id: 11, price: 6.99 }], 'the whole list grammar')
  t.equal(filtered.headers['x-total-count'], '4')
  t.match(String(filtered.headers.link), /^<\/authors\/3\/books\?.*cursor=/, 'the next page stays nested')
  const rest = await walkPages(app, '/authors/3/books?orderby.price=asc&limit=2')
  t.same(rest.rows.map((row) => row.id).sort((a, b) => Number(a) - Number(b)), [10, 11, 12, 13, 14])
  const embedded = await rowsOf(app, '/books/1/orders?include=book&fields=id,book.title')
  t.same(embedded, [{ id: 2, book: { title: 'Dune' } }, { id: 4, book: { title: 'Dune' } }], "a book's orders, embedding too")
  problemOf(t, await app.inject('/authors/999/books'), 404)
  problemOf(t, await app.inject('/authors/abc/books'), 400)
  problemOf(t, await app.inject('/authors/3/books?where.nope.eq=1'), 400)

  const created = await app.inject({ method: 'POST', url: '/authors/6/books', payload: { title: 'The Lifecycle of Software Objects', isbn: '978-0999000250', price: 8 } })
  t.equal(created.statusCode, 201, created.body)
  t.equal(created.json().authorId, 6, 'the key comes from the path')
  t.match(created.headers.location, /^\/books\/\d+$/)
  const same = await app.inject({ method: 'POST', url: '/authors/6/books', payload: { title: 'Exhalation II', isbn: '978-0999000267', price: 9, authorId: 6 } })
  t.equal(same.statusCode, 201, 'naming the same parent is fine')
  const other = problemOf(t, await app.inject({ method: 'POST', url: '/authors/6/books', payload: { title: 'x', isbn: '978-0999000274', price: 9, authorId: 5 } }), 400)
  t.equal(other.errors?.[0]?.path, 'body.authorId')
  problemOf(t, await app.inject({ method: 'POST', url: '/authors/999/books', payload: { title: 'x', isbn: '978-0999000281', price: 9 } }), 404)
  problemOf(t, await app.inject({ method: 'POST', url: '/authors/6/books', payload: { isbn: '978-0999000298', price: 9 } }), 400)
  t.equal((await rowsOf(app, '/authors/6/books?limit=100')).length, 4, 'two books added, nothing from the refused ones')
  t.equal((await app.inject({ method: 'POST', url: '/books/1/orders', payload: {} })).statusCode, 405, 'orders are not created generically: no nested POST')
})
