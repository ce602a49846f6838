import t from 'tap'
import { buildTestApp } from '../helper'
import { countRows, problemOf, seedAuthors, seedBooks } from '../fixtures/seed'

// Issue 7 §2: the contract docs/rest.md promises, on every route: unknown query parameters are
// a 400, fields= works on GET /:id, If-Match compares strongly and a 412 names the current ETag,
// PATCH answers the row as that request wrote it, and bodies are never coerced.
t.test('a strict contract on every route', async (t) => {
  const app = await buildTestApp(t)
  const [authorId] = await seedAuthors(app, [{ name: 'Octavia E. Butler' }])
  const [bookId, otherId] = await seedBooks(app, [
    { title: 'Kindred', isbn: 'strict-1', price: 9.5, stock: 3, authorId },
    { title: 'Dawn', isbn: 'strict-2', price: 7, stock: 1, authorId }
  ])

  await t.test('an unknown query parameter is a 400 naming it, on every method', async (t) => {
    const requests = [
      { method: 'GET', url: `/books/${bookId}?colour=red` },
      { method: 'PATCH', url: `/books/${bookId}?colour=red`, payload: { stock: 9 } },
      { method: 'PUT', url: `/books/${bookId}?colour=red`, payload: { title: 'x', isbn: 'strict-x', price: 1, stock: 1, authorId } },
      { method: 'DELETE', url: `/books/${otherId}?colour=red` },
      { method: 'POST', url: '/books?colour=red', payload: { title: 'x', isbn: 'strict-y', price: 1, authorId } }
    ] as const
    for (const request of requests) {
      const body = problemOf(t, await app.inject(request), 400)
      // A route that takes query parameters also says which (GET /:id: fields and the embed keys).
      const message = request.method === 'GET' ? 'is not allowed; the route takes fields, include=<relation>,…, limit.<relation>=n, orderby.<relation>.<field>' : 'is not allowed'
      t.same(body.errors, [{ path: 'querystring.colour', message }], `${request.method} ${request.url}`)
    }
    t.equal(await countRows(app, 'books'), 2, 'nothing was created or deleted')
    t.equal((await app.inject(`/books/${bookId}`)).json().stock, 3, 'nothing was changed')
  })

  await t.test('a refusal says how to fix the request', async (t) => {
    const cases: Array<[string, RegExp]> = [
      ['/books?where.pages.eq=3', /is not allowed; filterable fields: id, title,/],
      ['/books?where.title.gt2=x', /title takes the ops eq, neq, gt, gte, lt, lte, in, nin, like, notLike, contains, startsWith, endsWith$/],
      ['/books?orderby.isbn=asc', /sortable fields: id, title,/],
      ['/books?colour=red', /the list takes where\.<field>\.<op>, where\.not\.<field>\.<op>, where\.or\.<label>\.<field>\.<op>, where\.<relation>\.<field>\.<op>, orderby\.<field>/],
      ['/orders?where.status.eq=lost', /must be one of: placed, shipped, cancelled$/],
      ['/books?where.stock.gt=-1', /must be between 0 and 4294967295/]
    ]
    for (const [url, message] of cases) t.match(problemOf(t, await app.inject(url), 400).errors[0].message, message, url)
    const bio = problemOf(t, await app.inject({ method: 'POST', url: '/authors', payload: { name: 'x', bio: 5 } }), 400)
    t.same(bio.errors, [{ path: 'body.bio', message: 'must be string or null' }])
  })

  await t.test('fields= on GET /:id answers exactly those fields, with the ETag', async (t) => {
    const response = await app.inject(`/books/${bookId}?fields=title,id`)
    t.same(response.json(), { id: bookId, title: 'Kindred' })
    t.equal(response.headers.etag, '"1"', 'the ETag even though version was not selected')
    problemOf(t, await app.inject(`/books/${bookId}?fields=title,secret`), 400)
  })

  await t.test('If-Match uses the strong comparison; a 412 carries the current ETag', async (t) => {
    const weak = await app.inject({ method: 'PATCH', url: `/books/${bookId}`, headers: { 'if-match': 'W/"1"' }, payload: { stock: 5 } })
    problemOf(t, weak, 412)
    t.equal(weak.headers.etag, '"1"', 'the 412 names the current ETag')
    t.equal((await app.inject(`/books/${bookId}`)).json().stock, 3, 'a weak tag never matches')
    const strong = await app.inject({ method: 'PATCH', url: `/books/${bookId}`, headers: { 'if-match': '"7", "1"' }, payload: { stock: 5 } })
    t.equal(strong.statusCode, 200)
    t.equal(strong.headers.etag, '"2"')
    t.match(strong.json(), { id: bookId, stock: 5, version: 2 }, 'the answer is the row this PATCH wrote')
    const stale = await app.inject({ method: 'DELETE', url: `/books/${bookId}`, headers: { 'if-match': '"1"' } })
    problemOf(t, stale, 412)
    t.equal(stale.headers.etag, '"2"')
    const missing = await app.inject({ method: 'DELETE', url: '/books/999999', headers: { 'if-match': '"1"' } })
    problemOf(t, missing, 404)
  })

  await t.test('bodies are never coerced, on generated and hand-written routes alike', async (t) => {
    for (const payload of [{ bookId: String(bookId), quantity: 1 }, { bookId, quantity: true }, { bookId, quantity: '1' }]) {
      problemOf(t, await app.inject({ method: 'POST', url: '/orders', payload }), 400)
    }
    problemOf(t, await app.inject({ method: 'PATCH', url: `/books/${bookId}`, payload: { stock: '5' } }), 400)
    problemOf(t, await app.inject({ method: 'PATCH', url: `/books/${bookId}`, payload: { title: 12 } }), 400)
    t.equal(await countRows(app, 'orders'), 0)
  })

  await t.test('ids and numbers in URLs are decimal digits only', async (t) => {
    for (const id of ['0x10', '%202', '+2', '2e0', '1e400', 'Infinity', '-0x1', '2.0']) {
      const body = problemOf(t, await app.inject(`/books/${id}`), 400)
      t.equal(body.errors?.[0]?.path, 'params.id', `/books/${id}`)
    }
    for (const query of ['limit=-Infinity', 'limit=0x10', 'offset=1e3', 'limit=%201', 'where.stock.gt=0x1', 'where.stock.in=1,0x2']) {
      problemOf(t, await app.inject(`/books?${query}`), 400)
    }
  })
})
