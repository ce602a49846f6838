import t from 'tap'
import { buildTestApp } from '../helper'
import { countRows, problemOf, seedAuthors, seedBooks } from '../fixtures/seed'
import { bearer, TEST_SECRET } from '../support/tokens'
import { Note, NOTE_MIGRATION } from '../fixtures/Note'
import { entities } from '../../entities'

const JWT = { AUTH_MODE: 'jwt' as const, AUTH_JWT_SECRET: TEST_SECRET }
const alice = bearer('alice', [])
const bob = bearer('bob', [])
const staff = bearer('sam', ['staff'])
const editor = bearer('ed', ['editor'])
const admin = bearer('ada', ['admin'])

async function shop(t: Parameters<typeof buildTestApp>[0], settings: Record<string, unknown> = {}) {
  const app = await buildTestApp(t, { ...JWT, ...settings })
  const [authorId] = await seedAuthors(app, [{ name: 'Le Guin' }])
  const [bookId, otherBookId] = await seedBooks(app, [
    { title: 'The Dispossessed', isbn: '978-0-06-051275-4', price: 9.5, stock: 100, authorId },
    { title: 'Lathe of Heaven', isbn: '978-1-4165-5696-0', price: 12, stock: 100, authorId }
  ])
  return { app, authorId, bookId, otherBookId }
}

t.test('roles per operation: anonymous reads, editors write, only admins delete', async (t) => {
  const { app, bookId, authorId } = await shop(t)
  const book = { title: 'Always Coming Home', isbn: '978-0-520-22735-4', price: 20, stock: 3, authorId }
  t.equal((await app.inject({ method: 'GET', url: `/books/${bookId}` })).statusCode, 200, 'anonymous GET')
  problemOf(t, await app.inject({ method: 'POST', url: '/books', payload: book }), 401)
  const forbidden = problemOf(t, await app.inject({ method: 'POST', url: '/books', payload: book, headers: alice }), 403)
  t.equal(forbidden.type, 'https://lifeguard.dev/problems/forbidden')
  t.match(forbidden.detail, /your roles may not create Book/)
  t.equal(await countRows(app, 'books'), 2, 'refused creates wrote nothing')
  const created = await app.inject({ method: 'POST', url: '/books', payload: book, headers: editor })
  t.equal(created.statusCode, 201, 'editor creates')
  const id = created.json().id
  problemOf(t, await app.inject({ method: 'DELETE', url: `/books/${id}`, headers: editor }), 403)
  t.equal((await app.inject({ method: 'GET', url: `/books/${id}` })).statusCode, 200, 'still there after a refused DELETE')
  t.equal((await app.inject({ method: 'DELETE', url: `/books/${id}`, headers: admin })).statusCode, 204, 'admin deletes')
  t.equal((await app.inject({ method: 'GET', url: `/books/${id}` })).statusCode, 404)
})

t.test('the 401/403 come before the body is read or validated', async (t) => {
  const { app } = await shop(t)
  const response = await app.inject({ method: 'POST', url: '/books', payload: '{"not": json', headers: { 'content-type': 'application/json' } })
  problemOf(t, response, 401)
  const invalid = await app.inject({ method: 'PATCH', url: '/books/1', payload: { price: 'free' }, headers: alice })
  problemOf(t, invalid, 403)
})

t.test('field rules on read: anonymous callers and plain tokens do not see stock, and cannot name it', async (t) => {
  const { app, bookId } = await shop(t)
  for (const [who, headers] of [['anonymous', {}], ['plain token', alice]] as const) {
    const one = await app.inject({ method: 'GET', url: `/books/${bookId}`, headers })
    t.equal(one.statusCode, 200)
    t.notOk('stock' in one.json(), `${who}: no stock in GET /books/:id`)
    t.ok('title' in one.json() && 'price' in one.json(), `${who}: the public fields are there`)
    t.ok(one.headers.etag, `${who}: ETag still sent`)
    const list = await app.inject({ method: 'GET', url: '/books', headers })
    t.ok(list.json().length === 2 && list.json().every((row: object) => !('stock' in row)), `${who}: no stock in the list`)
    for (const url of [`/books/${bookId}?fields=id,stock`, '/books?fields=stock', '/books?where.stock.gt=5', '/books?orderby.stock=desc']) {
      const refused = problemOf(t, await app.inject({ method: 'GET', url, headers }), 403)
      t.match(refused.detail, /may not read Book\.stock/, `${who}: ${url}`)
    }
    t.equal((await app.inject({ method: 'GET', url: `/books?fields=id,title`, headers })).statusCode, 200, `${who}: fields= of public fields`)
  }
  for (const headers of [staff, editor, admin]) {
    const one = await app.inject({ method: 'GET', url: `/books/${bookId}`, headers })
    t.equal(one.json().stock, 100, 'staff roles see stock')
    t.equal((await app.inject({ method: 'GET', url: '/books?where.stock.gt=5&orderby.stock=desc', headers })).json().length, 2)
  }
})

t.test('field rules on write: staff may change stock and nothing else; editors anything writable', async (t) => {
  const { app, bookId } = await shop(t)
  const stock = await app.inject({ method: 'PATCH', url: `/books/${bookId}`, payload: { stock: 7 }, headers: staff })
  t.equal(stock.statusCode, 200)
  t.equal(stock.json().stock, 7)
  const price = await app.inject({ method: 'PATCH', url: `/books/${bookId}`, payload: { stock: 8, price: 1 }, headers: staff })
  const refused = problemOf(t, price, 403)
  t.match(refused.detail, /may not write Book\.price/)
  const [row] = await app.db.query('SELECT stock, price FROM books WHERE id = ?', [bookId])
  t.same([row.stock, Number(row.price)], [7, 9.5], 'the refused PATCH changed nothing, not even the allowed field')
  const edited = await app.inject({ method: 'PATCH', url: `/books/${bookId}`, payload: { price: 11 }, headers: editor })
  t.equal(edited.statusCode, 200)
  t.equal(edited.json().price, 11)
})

t.test('row-level rule: a customer places, sees and lists only its own orders; staff see all', async (t) => {
  const { app, bookId } = await shop(t, { REST_EXPLAIN: true })
  const place = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/orders', payload: { bookId, quantity: 1 }, headers })
  problemOf(t, await place({}), 401)
  const aliceOrder = await place(alice)
  t.equal(aliceOrder.statusCode, 201)
  t.equal(aliceOrder.json().customerId, 'alice', 'stamped with the token subject')
  const bobOrder = await place(bob)
  t.equal(bobOrder.json().customerId, 'bob')
  const aliceId = aliceOrder.json().id
  const bobId = bobOrder.json().id

  t.equal((await app.inject({ method: 'GET', url: `/orders/${aliceId}`, headers: alice })).statusCode, 200)
  const hidden = problemOf(t, await app.inject({ method: 'GET', url: `/orders/${bobId}`, headers: alice }), 404)
  const missing = problemOf(t, await app.inject({ method: 'GET', url: `/orders/999999`, headers: alice }), 404)
  t.equal(hidden.detail.replace(String(bobId), 'N'), missing.detail.replace('999999', 'N'), "another's row reads exactly like a missing one")

  const list = await app.inject({ method: 'GET', url: '/orders?totalCount=true', headers: alice })
  t.same(list.json().map((order: { id: number }) => order.id), [aliceId], 'the list has only her order')
  t.equal(list.headers['x-total-count'], '1', 'and the count follows the rule')
  // An estimate comes from the whole table's statistics: under the rule every count is exact, and says so.
  const planned = await app.inject({ method: 'GET', url: '/orders?totalCount=planned', headers: alice })
  t.equal(planned.headers['x-total-count'], '1', 'a planned count under the rule is her exact count')
  t.equal(planned.headers['preference-applied'], 'count=exact')
  t.equal((await app.inject({ method: 'GET', url: '/orders?totalCount=planned', headers: staff })).headers['preference-applied'], 'count=planned', 'without the rule it is planned')
  // REST_EXPLAIN's plan shows the same whole-table estimates: not under the rule.
  const plan = { accept: 'application/vnd.lifeguard.plan+json' }
  problemOf(t, await app.inject({ method: 'GET', url: '/orders', headers: { ...alice, ...plan } }), 403)
  t.equal((await app.inject({ method: 'GET', url: '/orders', headers: { ...staff, ...plan } })).statusCode, 200, 'without the rule the plan is shown')
  const filtered = await app.inject({ method: 'GET', url: '/orders?where.customerId.eq=bob', headers: alice })
  t.same(filtered.json(), [], "filtering for bob's orders finds none")

  const all = await app.inject({ method: 'GET', url: '/orders?orderby.id=asc', headers: staff })
  t.same(all.json().map((order: { id: number }) => order.id), [aliceId, bobId], 'staff (allRows) see every order')

  // Changing status is staff work; a customer may not, on any order.
  problemOf(t, await app.inject({ method: 'PATCH', url: `/orders/${aliceId}`, payload: { status: 'cancelled' }, headers: alice }), 403)
  const shipped = await app.inject({ method: 'PATCH', url: `/orders/${bobId}`, payload: { status: 'shipped' }, headers: staff })
  t.equal(shipped.statusCode, 200)
})

t.test('keyset paging under the row rule stays inside the caller\'s rows', async (t) => {
  const { app, bookId } = await shop(t)
  for (let i = 0; i < 5; i++) {
    for (const headers of [alice, bob]) await app.inject({ method: 'POST', url: '/orders', payload: { bookId, quantity: 1 }, headers })
  }
  const seen: number[] = []
  let url: string | undefined = '/orders?limit=2&orderby.id=desc'
  while (url) {
    const page: { json(): any; headers: Record<string, unknown> } = await app.inject({ method: 'GET', url, headers: bob })
    for (const order of page.json()) {
      t.equal(order.customerId, 'bob')
      seen.push(order.id)
    }
    url = /<([^>]+)>; rel="next"/.exec(String(page.headers.link ?? ''))?.[1]
  }
  t.equal(seen.length, 5, "all of bob's orders, across pages, and none of alice's")
})

t.test('an owner-ruled entity through generic writes: others\' rows are 404 to PATCH and DELETE, creates are stamped', async (t) => {
  // A generic entity with an owner rule and every operation, to exercise the generated writes.
  const app = await buildTestApp(t, JWT, { entities: [...entities, Note] })
  await app.db.query(NOTE_MIGRATION)
  const create = (headers: Record<string, string>, payload: object) => app.inject({ method: 'POST', url: '/notes', payload, headers })
  const mine = await create(alice, { text: 'hers' })
  t.equal(mine.statusCode, 201)
  t.equal(mine.json().ownerId, 'alice', 'stamped')
  problemOf(t, await create(alice, { text: 'forged', ownerId: 'bob' }), 403)
  t.equal((await create(alice, { text: 'explicit', ownerId: 'alice' })).statusCode, 201, 'naming oneself is fine')
  const id = mine.json().id
  for (const [method, payload] of [['PATCH', { text: 'changed' }], ['PUT', { text: 'replaced', ownerId: 'bob' }], ['DELETE', undefined]] as const) {
    const response = await app.inject({ method, url: `/notes/${id}`, payload, headers: bob })
    problemOf(t, response, 404)
  }
  problemOf(t, await app.inject({ method: 'PATCH', url: `/notes/${id}`, payload: { ownerId: 'bob' }, headers: alice }), 403)
  const [row] = await app.db.query('SELECT text, ownerId FROM notes WHERE id = ?', [id])
  t.same({ ...row }, { text: 'hers', ownerId: 'alice' }, 'nothing another caller sent changed it')
  t.equal((await app.inject({ method: 'PATCH', url: `/notes/${id}`, payload: { text: 'edited' }, headers: alice })).statusCode, 200)
  t.equal((await app.inject({ method: 'PATCH', url: `/notes/${id}`, payload: { ownerId: 'bob' }, headers: admin })).statusCode, 200, 'allRows may hand it over')
  t.equal((await app.inject({ method: 'DELETE', url: `/notes/${id}`, headers: bob })).statusCode, 204, 'now it is bob\'s to delete')
  const noSubject = await app.inject({ method: 'POST', url: '/notes', payload: { text: 'x' }, headers: bearer(undefined, []) })
  problemOf(t, noSubject, 403)
})

t.test('AUTH_MODE=off: no rule applies, every field is readable, orders carry no customer', async (t) => {
  const app = await buildTestApp(t)
  const [authorId] = await seedAuthors(app, [{ name: 'Le Guin' }])
  const [bookId] = await seedBooks(app, [{ title: 'T', isbn: '978-0-06-051275-4', price: 1, stock: 5, authorId }])
  t.equal((await app.inject({ method: 'GET', url: `/books/${bookId}` })).json().stock, 5)
  const order = await app.inject({ method: 'POST', url: '/orders', payload: { bookId, quantity: 1 } })
  t.equal(order.statusCode, 201)
  t.equal(order.json().customerId, null)
  t.equal((await app.inject({ method: 'DELETE', url: `/books/${bookId}` })).statusCode, 409, 'delete allowed (refused only by the FK)')
})
