import t from 'tap'
import { demoApp, rowsOf } from '../fixtures/demo-app'
import { problemOf } from '../fixtures/seed'

/**
 * Issue 10's keys and values carry text into SQL's neighbourhood: group labels, relation and
 * path names, dotted fields, relation filters, per-relation limits and orders. Every hostile
 * key is a 400 naming it (identifiers come from metadata, never from the URL); every hostile
 * value is a bound parameter that matches nothing; nothing is changed either way.
 */
t.test('injection attempts in every key, label and value of the relation grammar', async (t) => {
  const app = await demoApp(t)
  const tables = async () => (await app.db.query('SELECT (SELECT COUNT(*) FROM authors) AS a, (SELECT COUNT(*) FROM books) AS b, (SELECT COUNT(*) FROM orders) AS o'))[0]
  const before = await tables()
  const refusedKeys = [
    "/books?where.or.a'--.price.lt=5",
    `/books?where.or.${'x'.repeat(33)}.price.lt=5`,
    '/books?where.or.a%20OR%201=1.price.lt=5',
    '/books?where.not.price;DROP%20TABLE%20books.lt=5',
    "/books?where.author.name'%20OR%20'1'='1.eq=x",
    '/books?where.author.password.eq=x',
    '/authors?where.books.title`.eq=x',
    '/books?orderby.author.name;--=asc',
    '/authors?include=books&limit.books;DROP%20TABLE%20books=1',
    '/authors?include=books&orderby.books.price%20DESC;--=asc',
    '/authors?include=books.orders&limit.books.orders.x=1'
  ]
  for (const url of refusedKeys) {
    const body = problemOf(t, await app.inject(url), 400)
    t.match(body.detail, /is not allowed|not an includable|not a readable/, url)
  }
  const refusedValues = [
    '/books?include=author;DROP%20TABLE%20books',
    '/books?include=author)%20UNION%20SELECT%201',
    '/authors?include=books.orders.book.author',
    '/books?fields=id,author.name)%20FROM%20books;--',
    '/authors?fields=books.orders.quantity%20FROM%20orders',
    '/authors?include=books&limit.books=1%20OR%201=1',
    '/authors?include=books&orderby.books.price=desc;--'
  ]
  for (const url of refusedValues) problemOf(t, await app.inject(url), 400)
  const harmless = [
    "/books?where.author.name.eq='%20OR%201=1%20--",
    "/authors?where.books.title.contains=%25'%20OR%20'1'='1",
    "/books?where.or.a.title.eq='%20OR%20''='&where.or.b.isbn.eq=x",
    "/authors?where.not.books.isbn.eq=x'%20OR%201=1%20--&where.id.eq=999",
    '/authors/1/books?where.title.startsWith=%25%27%29%20OR%201%3D1%23'
  ]
  for (const url of harmless) t.same(await rowsOf(app, url), [], `${url}: a value like any other, matching nothing`)
  t.same(await tables(), before, 'nothing changed')
})
