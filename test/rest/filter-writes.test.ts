import t from 'tap'
import fc from 'fast-check'
import { demoApp, rowsOf } from '../fixtures/demo-app'
import { problemOf } from '../fixtures/seed'
import { bearer, TEST_SECRET } from '../support/tokens'
import { waitForIdlePool } from '../support/pool-state'

type Row = Record<string, any>

t.test('PATCH and DELETE on a collection change the rows its filters select, in one transaction', async (t) => {
  const app = await demoApp(t)
  const all = () => rowsOf(app, '/books?limit=100')
  const before = await all()

  await t.test('PATCH: every selected row, its version bumped; 204 with the count', async (t) => {
    const patched = await app.inject({ method: 'PATCH', url: '/books?where.authorId.eq=3', payload: { stock: 9 } })
    t.equal(patched.statusCode, 204, patched.body)
    const selected = before.filter((book) => book.authorId === 3)
    t.equal(patched.headers['x-affected-count'], String(selected.length))
    const after = await all()
    for (const book of after) {
      const was = before.find((each) => each.id === book.id)!
      if (was.authorId === 3) t.match(book, { stock: 9, version: was.version + 1 }, `book ${book.id}: written`)
      else t.same(book, was, `book ${book.id}: untouched`)
    }
  })

  await t.test('through a relation, with the rows as written', async (t) => {
    const response = await app.inject({ method: 'PATCH', url: '/books?where.author.name.startsWith=ursula', headers: { prefer: 'return=representation' }, payload: { price: 7.25 } })
    t.equal(response.statusCode, 200, response.body)
    t.equal(response.headers['preference-applied'], 'return=representation')
    const rows: Row[] = response.json()
    t.same(rows.map((row) => row.id), before.filter((book) => book.authorId === 2).map((book) => book.id), "Le Guin's books, in key order")
    t.ok(rows.every((row) => row.price === 7.25), 'as written')
    t.same(rows, (await all()).filter((book) => book.authorId === 2), 'as GET shows them')
  })

  await t.test('Prefer: max-affected refuses a request that would touch more, changing nothing', async (t) => {
    const current = await all()
    const refused = await app.inject({ method: 'PATCH', url: '/books?where.price.lt=100', headers: { prefer: 'max-affected=2' }, payload: { stock: 1 } })
    const body = problemOf(t, refused, 409)
    t.match(body.type, /too-many-rows$/)
    t.equal(refused.headers['x-affected-count'], String(current.length), 'says how many it selects')
    problemOf(t, await app.inject({ method: 'DELETE', url: '/books?where.price.lt=100', headers: { prefer: 'max-affected=0' } }), 409)
    t.same(await all(), current, 'nothing changed')
    const allowed = await app.inject({ method: 'PATCH', url: '/books?where.id.eq=1', headers: { prefer: 'max-affected=1' }, payload: { stock: 2 } })
    t.equal(allowed.statusCode, 204, 'exactly the bound is allowed')
    const bad = problemOf(t, await app.inject({ method: 'PATCH', url: '/books?where.id.eq=1', headers: { prefer: 'max-affected=few' }, payload: { stock: 2 } }), 400)
    t.equal(bad.errors?.[0]?.path, 'headers.prefer')
  })

  await t.test('a filter is required, and only filters are taken', async (t) => {
    const current = await all()
    for (const [method, url] of [['PATCH', '/books'], ['DELETE', '/books']] as const) {
      const body = problemOf(t, await app.inject({ method, url, payload: method === 'PATCH' ? { stock: 0 } : undefined }), 400)
      t.match(body.detail, /needs a filter/, `${method} ${url}`)
    }
    problemOf(t, await app.inject({ method: 'PATCH', url: '/books?limit=5', payload: { stock: 0 } }), 400)
    problemOf(t, await app.inject({ method: 'DELETE', url: '/books?where.pages.eq=1' }), 400)
    problemOf(t, await app.inject({ method: 'PATCH', url: '/books?where.id.eq=1', payload: { version: 3 } }), 400)
    const injected = await app.inject({ method: 'PATCH', url: "/books?where.title.eq=x'%20OR%201=1%20--", payload: { stock: 0 } })
    t.equal(injected.statusCode, 204, 'an injection attempt is a value like any other')
    t.equal(injected.headers['x-affected-count'], '0')
    t.same(await all(), current, 'nothing changed')
  })

  await t.test('DELETE: the rows go, or none do', async (t) => {
    const created = await app.inject({ method: 'POST', url: '/books', payload: [1, 2, 3].map((n) => ({ title: `Gone ${n}`, isbn: `978-09990008${n}0`, price: 1, authorId: 6 })) })
    t.equal(created.statusCode, 201)
    const ids: number[] = created.json().map((row: Row) => row.id)
    const deleted = await app.inject({ method: 'DELETE', url: `/books?where.id.in=${ids.join(',')}`, headers: { prefer: 'return=representation' } })
    t.equal(deleted.statusCode, 200, deleted.body)
    t.same(deleted.json().map((row: Row) => row.title), ['Gone 1', 'Gone 2', 'Gone 3'], 'answered with the rows as they were')
    t.same(await rowsOf(app, `/books?where.id.in=${ids.join(',')}`), [], 'gone')
    const current = await all()
    const referenced = await app.inject({ method: 'DELETE', url: '/books?where.id.lte=3' })
    problemOf(t, referenced, 409)
    t.same(await all(), current, 'a book still ordered keeps every selected book')
  })

  await t.test('the number of rows matches the same filter evaluated in JS', async (t) => {
    const rows = await all()
    // max-affected=0 makes every request with a match a 409 that counts and changes nothing.
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('lt', 'gte', 'neq'), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), async (op, price, stock) => {
        const holds = (book: Row) => ({ lt: book.price < price, gte: book.price >= price, neq: book.price !== price })[op] || book.stock === stock
        const response = await app.inject({ method: 'PATCH', url: `/books?where.or.a.price.${op}=${price}&where.or.b.stock.eq=${stock}`, headers: { prefer: 'max-affected=0' }, payload: { stock: 0 } })
        const expected = rows.filter(holds).length
        return response.headers['x-affected-count'] === String(expected) && response.statusCode === (expected === 0 ? 204 : 409)
      }),
      { numRuns: 40 }
    )
    t.same(await all(), rows, 'nothing changed')
  })

  t.equal((await waitForIdlePool(app)).active, 0, 'the pool is idle afterwards')
})

t.test("the route's rules and REST_BULK_MAX bound what a collection write touches", async (t) => {
  const app = await demoApp(t, { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: TEST_SECRET, REST_BULK_MAX: 3 })
  const alice = bearer('alice', [])
  for (const bookId of [5, 6, 5]) {
    t.equal((await app.inject({ method: 'POST', url: '/orders', headers: alice, payload: { bookId, quantity: 1 } })).statusCode, 201)
  }
  problemOf(t, await app.inject({ method: 'PATCH', url: '/orders?where.bookId.eq=5', headers: alice, payload: { status: 'shipped' } }), 403)
  const staff = bearer('sam', ['staff'])
  const patched = await app.inject({ method: 'PATCH', url: '/orders?where.bookId.eq=5&where.customerId.eq=alice', headers: staff, payload: { status: 'shipped' } })
  t.equal(patched.statusCode, 204, patched.body)
  t.equal(patched.headers['x-affected-count'], '2')
  t.same((await rowsOf(app, '/orders?where.customerId.eq=alice&limit=100', alice)).map((order) => order.status).sort(), ['placed', 'shipped', 'shipped'])
  problemOf(t, await app.inject({ method: 'PATCH', url: '/books?where.id.gte=1', payload: { stock: 1 } }), 401)
  const editor = bearer('ed', ['editor'])
  const bounded = await app.inject({ method: 'PATCH', url: '/books?where.id.gte=1', headers: editor, payload: { stock: 1 } })
  t.match(problemOf(t, bounded, 409).detail, /REST_BULK_MAX \(3\)/)
  problemOf(t, await app.inject({ method: 'DELETE', url: '/books?where.id.eq=1', headers: editor }), 403)
})
