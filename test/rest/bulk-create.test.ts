import t from 'tap'
import { demoApp, rowsOf } from '../fixtures/demo-app'
import { problemOf } from '../fixtures/seed'
import { waitForIdlePool } from '../support/pool-state'

type Row = Record<string, any>

/** `count` valid new books, isbns unique within the run (`978-1<tag><nnnnnnn>`-like, 17 characters at most). */
function newBooks(count: number, tag: number): Row[] {
  return Array.from({ length: count }, (_, index) => ({
    title: `Bulk ${tag}-${index}`,
    isbn: `978-${tag}${String(index).padStart(7, '0')}`,
    price: (index % 50) + 0.25,
    authorId: (index % 6) + 1,
    // Every third row leaves stock out: two shapes of row, interleaved.
    ...(index % 3 === 0 ? {} : { stock: index % 7 })
  }))
}

t.test('POST with an array creates every row in one transaction, answered in the order sent', async (t) => {
  // One pooled connection, so the session's own counters see every statement the request runs.
  const app = await demoApp(t, { DB_POOL_SIZE: 1 })
  const count = async () => Number((await app.db.query('SELECT COUNT(*) AS n FROM books'))[0].n)
  const executed = async () => Number((await app.db.query("SHOW SESSION STATUS LIKE 'Com_stmt_execute'"))[0].Value)
  const before = await count()

  await t.test('1000 rows: 201 with the stored rows, each as GET shows it, in few statements', async (t) => {
    const sent = newBooks(1000, 1)
    const statementsBefore = await executed()
    const response = await app.inject({ method: 'POST', url: '/books', payload: sent })
    t.equal(response.statusCode, 201, response.body.slice(0, 300))
    const statements = (await executed()) - statementsBefore
    const rows: Row[] = response.json()
    t.equal(rows.length, 1000)
    t.same(rows.map(({ title, isbn, price, authorId }) => ({ title, isbn, price, authorId })), sent.map(({ title, isbn, price, authorId }) => ({ title, isbn, price, authorId })), 'in the order sent')
    t.same(rows.map((row) => row.stock), sent.map((row) => row.stock ?? 0), "a row that leaves stock out gets the column's default")
    t.ok(rows.every((row) => row.version === 1 && typeof row.id === 'number'), 'stored rows: keys and versions')
    t.same(new Set(rows.map((row) => row.id)).size, 1000, 'a key each')
    // 334 rows without stock (256 + 64 + 8 + 4 + 2) and 666 with (512 + 128 + 16 + 8 + 2): ten INSERTs, nothing else on MariaDB.
    t.equal(statements, 10, 'one multi-row INSERT per power-of-two run of each shape')
    t.equal(response.headers.location, undefined, 'no Location: there is no one row to point to')
    for (const index of [0, 1, 500, 999]) t.same(await rowsOf(app, `/books?where.id.eq=${rows[index].id}`), [rows[index]], `row ${index} as GET shows it`)
    t.equal(await count(), before + 1000)
  })

  await t.test('rows of one shape share multi-row INSERTs', async (t) => {
    const sent = newBooks(300, 2).map((book) => ({ ...book, stock: 1 }))
    const statementsBefore = await executed()
    const response = await app.inject({ method: 'POST', url: '/books', payload: sent })
    t.equal(response.statusCode, 201, response.body.slice(0, 300))
    // 300 = 256 + 32 + 8 + 4: four INSERTs (and nothing else on MariaDB, which answers with RETURNING).
    t.equal((await executed()) - statementsBefore, 4, 'one statement per power-of-two run')
    t.equal(response.json().length, 300)
  })

  await t.test('one bad row refuses the whole bulk, naming its index and field; nothing is written', async (t) => {
    const stored = await count()
    const sent = newBooks(20, 3)
    sent[13] = { ...sent[13], price: 1e10 }
    const refused = problemOf(t, await app.inject({ method: 'POST', url: '/books', payload: sent }), 400)
    t.equal(refused.errors?.[0]?.path, 'body.13.price', refused.detail)
    const wrongType = newBooks(5, 4)
    wrongType[4] = { ...wrongType[4], title: 7 }
    const typed = problemOf(t, await app.inject({ method: 'POST', url: '/books', payload: wrongType }), 400)
    t.same(typed.errors, [{ path: 'body.4.title', message: 'must be string' }], 'only the array branch speaks: no "must be object"')
    const unknownField = problemOf(t, await app.inject({ method: 'POST', url: '/books', payload: [{ ...newBooks(1, 5)[0], colour: 'red' }] }), 400)
    t.equal(unknownField.errors?.[0]?.path, 'body.0.colour')
    t.equal(await count(), stored, 'nothing written')
  })

  await t.test('a duplicate key anywhere is a 409 naming the index, and rolls back every row', async (t) => {
    const stored = await count()
    const sent = newBooks(600, 6)
    sent[599] = { ...sent[599], isbn: sent[0].isbn }
    const within = problemOf(t, await app.inject({ method: 'POST', url: '/books', payload: sent }), 409)
    t.match(within.detail, /isbn/)
    const existing = newBooks(3, 7)
    existing[2] = { ...existing[2], isbn: (await app.inject('/books/1')).json().isbn }
    problemOf(t, await app.inject({ method: 'POST', url: '/books', payload: existing }), 409)
    t.equal(await count(), stored, 'nothing written')
  })

  await t.test('the array is bounded: empty and too long are 400s', async (t) => {
    const empty = problemOf(t, await app.inject({ method: 'POST', url: '/books', payload: [] }), 400)
    t.match(empty.detail, /body must NOT have fewer than 1 items/)
    const scalar = problemOf(t, await app.inject({ method: 'POST', url: '/books', payload: '"a book"', headers: { 'content-type': 'application/json' } }), 400)
    t.match(scalar.detail, /must be object/)
  })

  t.equal((await waitForIdlePool(app)).active, 0, 'the pool is idle afterwards')
})

t.test('REST_BULK_MAX bounds the rows of one POST', async (t) => {
  const app = await demoApp(t, { REST_BULK_MAX: 5 })
  const refused = problemOf(t, await app.inject({ method: 'POST', url: '/books', payload: newBooks(6, 8) }), 400)
  t.match(refused.detail, /body must NOT have more than 5 items/)
  const created = await app.inject({ method: 'POST', url: '/books', payload: newBooks(5, 8) })
  t.equal(created.statusCode, 201)
  const openapi = (await app.inject('/openapi.json')).json()
  const post = openapi.paths['/books'].post
  t.same(post.requestBody.content['application/json'].schema.oneOf[1].maxItems, 5, 'documented: the array and its bound')
  t.same(post.responses['201'].content['application/json'].schema.oneOf[1], { type: 'array', items: { $ref: '#/components/schemas/Book' } }, 'documented: an array answers an array')
})
