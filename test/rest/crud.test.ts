import t from 'tap'
import { buildTestApp } from '../helper'
import { countRows, problemOf, seedAuthors } from '../fixtures/seed'

// One app and database for the whole file: creating and migrating a database per subtest
// would multiply this file's run time on a shared 2-core machine. Subtests use their own rows.
t.test('entity CRUD routes', async (t) => {
  const app = await buildTestApp(t)
  const [authorId] = await seedAuthors(app, [{ name: 'Ursula' }])
  let isbnCounter = 0
  const newBook = (extra: Record<string, unknown> = {}) => ({
    title: 'A Wizard of Earthsea',
    isbn: `978-0-00-${String(++isbnCounter).padStart(6, '0')}`,
    price: 12.5,
    stock: 4,
    authorId,
    ...extra
  })
  const post = (url: string, payload: unknown, headers = {}) => app.inject({ method: 'POST', url, payload: payload as object, headers })

  await t.test('POST, GET, PATCH, PUT, DELETE round trip', async (t) => {
    const created = await post('/books', newBook())
    t.equal(created.statusCode, 201)
    const book = created.json()
    t.equal(created.headers.location, `/books/${book.id}`)
    t.match(book, { title: 'A Wizard of Earthsea', price: 12.5, stock: 4, authorId, version: 1 })
    t.match(book.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    t.equal(created.headers.etag, '"1"')

    const fetched = await app.inject(`/books/${book.id}`)
    t.equal(fetched.statusCode, 200)
    t.same(fetched.json(), book, 'GET returns what POST returned')

    const patched = await app.inject({ method: 'PATCH', url: `/books/${book.id}`, payload: { stock: 9 } })
    t.equal(patched.statusCode, 200)
    t.match(patched.json(), { id: book.id, title: book.title, stock: 9, version: 2 })
    t.equal(patched.headers.etag, '"2"')
    t.ok(new Date(patched.json().updatedAt) >= new Date(book.updatedAt), 'updatedAt moves forward')

    const replacement = newBook({ title: 'The Tombs of Atuan', price: 9.99, stock: 1 })
    const replaced = await app.inject({ method: 'PUT', url: `/books/${book.id}`, payload: replacement })
    t.equal(replaced.statusCode, 200)
    t.match(replaced.json(), { ...replacement, id: book.id, version: 3 })

    const deleted = await app.inject({ method: 'DELETE', url: `/books/${book.id}` })
    t.equal(deleted.statusCode, 204)
    t.equal(deleted.body, '')
    problemOf(t, await app.inject(`/books/${book.id}`), 404)
  })

  await t.test('POST with only required fields fills defaults; nullable fields may be null', async (t) => {
    const author = await post('/authors', { name: 'Le Guin', bio: null })
    t.equal(author.statusCode, 201)
    t.match(author.json(), { name: 'Le Guin', bio: null })
    const book = await post('/books', { title: 'x', isbn: 'default-stock', price: 1, authorId })
    t.equal(book.statusCode, 201)
    t.equal(book.json().stock, 0, 'database default applied')
  })

  await t.test('missing rows are 404 on every keyed route', async (t) => {
    problemOf(t, await app.inject('/books/999999'), 404)
    problemOf(t, await app.inject({ method: 'PATCH', url: '/books/999999', payload: { stock: 1 } }), 404)
    problemOf(t, await app.inject({ method: 'PUT', url: '/books/999999', payload: newBook() }), 404)
    const body = problemOf(t, await app.inject({ method: 'DELETE', url: '/books/999999' }), 404)
    t.match(body, { type: 'https://lifeguard.dev/problems/not-found', title: 'Not Found', instance: '/books/999999' })
  })

  await t.test('bad ids are 400 naming params.id', async (t) => {
    for (const id of ['abc', '-1', '1.5', '99999999999']) {
      const body = problemOf(t, await app.inject(`/books/${id}`), 400)
      t.equal(body.errors[0].path, 'params.id', `id ${id}`)
    }
    const body = problemOf(t, await app.inject({ method: 'DELETE', url: '/authors/x' }), 400)
    t.equal(body.errors[0].path, 'params.id')
  })

  await t.test('bodies: unknown fields, wrong types, missing fields, empty patch are 400 naming the field', async (t) => {
    const unknown = problemOf(t, await post('/books', newBook({ version: 7 })), 400)
    t.same(unknown.errors, [{ path: 'body.version', message: 'is not allowed' }], 'version is not writable')
    const wrongType = problemOf(t, await post('/books', newBook({ price: 'cheap' })), 400)
    t.equal(wrongType.errors[0].path, 'body.price')
    const negative = problemOf(t, await post('/books', newBook({ stock: -1 })), 400)
    t.equal(negative.errors[0].path, 'body.stock')
    const object = problemOf(t, await post('/books', newBook({ title: { $gt: '' } })), 400)
    t.equal(object.errors[0].path, 'body.title')
    for (const [field, value] of [['authorId', true], ['title', 12], ['stock', '5'], ['price', '12.50'], ['isbn', null]]) {
      const strict = problemOf(t, await post('/books', newBook({ [field as string]: value })), 400)
      t.same(strict.errors?.[0]?.path, `body.${field}`, `${field}: ${JSON.stringify(value)} is not coerced`)
    }
    const nullName = problemOf(t, await app.inject({ method: 'PATCH', url: `/authors/${authorId}`, payload: { name: null } }), 400)
    t.same(nullName.errors, [{ path: 'body.name', message: 'must be string' }])
    const tooLong = problemOf(t, await post('/books', newBook({ isbn: 'x'.repeat(18) })), 400)
    t.equal(tooLong.errors[0].path, 'body.isbn')
    const missing = problemOf(t, await post('/books', { title: 'no isbn', price: 1, authorId }), 400)
    t.equal(missing.errors[0].path, 'body.isbn')
    const partialPut = problemOf(t, await app.inject({ method: 'PUT', url: '/books/1', payload: { title: 'only' } }), 400)
    t.match(partialPut.errors[0].path, /^body\./)
    problemOf(t, await app.inject({ method: 'PATCH', url: '/authors/1', payload: {} }), 400)
    const notJson = await app.inject({
      method: 'POST',
      url: '/books',
      payload: '{"title": ',
      headers: { 'content-type': 'application/json' }
    })
    problemOf(t, notJson, 400)
  })

  await t.test('an oversize body is 413', async (t) => {
    // 64 KiB for a PATCH; a POST, which may carry a bulk, takes up to 4 MiB.
    const patched = await app.inject({ method: 'PATCH', url: '/authors/1', payload: { bio: 'x'.repeat(70 * 1024) } })
    t.equal(patched.statusCode, 413, 'a PATCH over 64 KiB')
    const body = problemOf(t, await post('/authors', { name: 'big', bio: 'x'.repeat(4 * 1024 * 1024) }), 413)
    t.equal(body.title, 'Content Too Large')
    t.equal(body.type, 'https://lifeguard.dev/problems/body-too-large')
  })

  await t.test('duplicate isbn and missing or still-referenced foreign keys are 409', async (t) => {
    const first = await post('/books', newBook({ isbn: 'dup-isbn' }))
    t.equal(first.statusCode, 201)
    const duplicate = problemOf(t, await post('/books', newBook({ isbn: 'dup-isbn' })), 409)
    t.match(duplicate.type, /duplicate$/)
    const other = await post('/books', newBook())
    problemOf(t, await app.inject({ method: 'PATCH', url: `/books/${other.json().id}`, payload: { isbn: 'dup-isbn' } }), 409)
    const missingAuthor = problemOf(t, await post('/books', newBook({ authorId: 424242 })), 409)
    t.match(missingAuthor.type, /missing-reference$/)
    const referenced = problemOf(t, await app.inject({ method: 'DELETE', url: `/authors/${authorId}` }), 409)
    t.match(referenced.type, /referenced$/)
    t.ok((await app.inject(`/authors/${authorId}`)).statusCode === 200, 'author still there')
  })

  await t.test('ETag, If-None-Match 304 and If-Match 412 on PATCH, PUT and DELETE', async (t) => {
    const book = (await post('/books', newBook())).json()
    const url = `/books/${book.id}`
    const notModified = await app.inject({ url, headers: { 'if-none-match': '"1"' } })
    t.equal(notModified.statusCode, 304)
    t.equal(notModified.body, '')
    t.equal((await app.inject({ url, headers: { 'if-none-match': 'W/"0", "1"' } })).statusCode, 304, 'list and weak tags')
    t.equal((await app.inject({ url, headers: { 'if-none-match': '"9"' } })).statusCode, 200)

    const stalePatch = await app.inject({ method: 'PATCH', url, payload: { stock: 1 }, headers: { 'if-match': '"9"' } })
    problemOf(t, stalePatch, 412)
    const freshPatch = await app.inject({ method: 'PATCH', url, payload: { stock: 1 }, headers: { 'if-match': '"1"' } })
    t.equal(freshPatch.statusCode, 200)
    t.equal(freshPatch.headers.etag, '"2"')
    problemOf(t, await app.inject({ method: 'PUT', url, payload: newBook(), headers: { 'if-match': '"1"' } }), 412)
    problemOf(t, await app.inject({ method: 'DELETE', url, headers: { 'if-match': '"1"' } }), 412)
    problemOf(t, await app.inject({ method: 'DELETE', url, headers: { 'if-match': 'garbage' } }), 412)
    t.equal((await app.inject(url)).json().stock, 1, 'stale writes changed nothing')
    const put = await app.inject({ method: 'PUT', url, payload: newBook({ stock: 2 }), headers: { 'if-match': '"2"' } })
    t.equal(put.statusCode, 200)
    t.equal((await app.inject({ method: 'DELETE', url, headers: { 'if-match': '*' } })).statusCode, 204)
    problemOf(t, await app.inject({ method: 'DELETE', url, headers: { 'if-match': '"3"' } }), 404)
  })

  await t.test('operations left out of @RestResource get no route (Order: list, get, update)', async (t) => {
    const bookId = (await post('/books', newBook({ stock: 5 }))).json().id
    await app.db.query('INSERT INTO orders (bookId, quantity) VALUES (?, 2)', [bookId])
    const [{ id: orderId }] = await app.db.query('SELECT MAX(id) AS id FROM orders')
    t.equal((await app.inject(`/orders/${orderId}`)).statusCode, 200)
    t.equal((await app.inject('/orders')).statusCode, 200)
    const patched = await app.inject({ method: 'PATCH', url: `/orders/${orderId}`, payload: { status: 'shipped' } })
    t.equal(patched.statusCode, 200)
    t.match(patched.json(), { id: orderId, bookId, quantity: 2, status: 'shipped' })
    problemOf(t, await app.inject({ method: 'PATCH', url: `/orders/${orderId}`, payload: { quantity: 100 } }), 400)
    problemOf(t, await app.inject({ method: 'PATCH', url: `/orders/${orderId}`, payload: { status: 'lost' } }), 400)
    const notAllowed = await app.inject({ method: 'DELETE', url: `/orders/${orderId}` })
    problemOf(t, notAllowed, 405)
    t.equal(notAllowed.headers.allow, 'GET, HEAD, PATCH', 'Allow lists what the path does have')
    problemOf(t, await app.inject({ method: 'PUT', url: `/orders/${orderId}`, payload: { status: 'placed' } }), 405)
    t.equal(await countRows(app, 'orders'), 1)
  })
})
