import t from 'tap'
import { buildApp } from '../../src/app'
import { seedDemoData } from '../../src/tools/seed'
import { createTestDatabase } from '../helper'
import { problemOf } from '../fixtures/seed'
import { bearer, TEST_SECRET } from '../support/tokens'
import { waitForIdlePool } from '../support/pool-state'

const book = (isbn: string) => ({ title: 'Surface Detail', isbn, price: 9.5, authorId: 5 })

t.test('Idempotency-Key: a retried POST or PATCH runs once and is answered alike', async (t) => {
  const config = await createTestDatabase(t)
  await seedDemoData(config)
  let app = await buildApp(config)
  t.teardown(() => app.close())
  const count = async (sql: string) => Number((await app.db.query(sql))[0].n)
  const keyed = (key: string) => ({ 'idempotency-key': key })

  await t.test('a repeat gets the first answer, without touching the table', async (t) => {
    const first = await app.inject({ method: 'POST', url: '/books', headers: keyed('create-1'), payload: book('978-0999000801') })
    t.equal(first.statusCode, 201)
    t.equal(first.headers['idempotent-replayed'], undefined)
    const again = await app.inject({ method: 'POST', url: '/books', headers: keyed('create-1'), payload: book('978-0999000801') })
    t.equal(again.statusCode, 201, 'not a 409 for the isbn it wrote itself')
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.equal(again.body, first.body, 'the same body')
    for (const name of ['location', 'etag', 'content-type']) t.equal(again.headers[name], first.headers[name], name)
    t.equal(await count("SELECT COUNT(*) AS n FROM books WHERE isbn = '978-0999000801'"), 1)
  })

  await t.test('another body with the same key is a 422; another route or caller is another key', async (t) => {
    const other = problemOf(t, await app.inject({ method: 'POST', url: '/books', headers: keyed('create-1'), payload: book('978-0999000802') }), 422)
    t.match(other.detail, /another request/)
    const patched = await app.inject({ method: 'PATCH', url: '/books/1', headers: keyed('create-1'), payload: { stock: 3 } })
    t.equal(patched.statusCode, 200, 'the same key on PATCH /books/:id is its own key')
    t.equal(await count("SELECT COUNT(*) AS n FROM books WHERE isbn = '978-0999000802'"), 0)
  })

  await t.test('a PATCH replayed does not bump the version twice', async (t) => {
    const first = await app.inject({ method: 'PATCH', url: '/books/2', headers: keyed('patch-2'), payload: { stock: 4 } })
    const again = await app.inject({ method: 'PATCH', url: '/books/2', headers: keyed('patch-2'), payload: { stock: 4 } })
    t.equal(again.headers.etag, first.headers.etag)
    t.equal((await app.inject('/books/2')).headers.etag, first.headers.etag, 'one write')
  })

  await t.test('a failed request keeps nothing: its retry runs afresh', async (t) => {
    problemOf(t, await app.inject({ method: 'POST', url: '/books', headers: keyed('fails-first'), payload: { ...book('978-0999000803'), price: -0.001 } }), 400)
    const fixed = await app.inject({ method: 'POST', url: '/books', headers: keyed('fails-first'), payload: book('978-0999000803') })
    t.equal(fixed.statusCode, 201, 'the corrected request claims the key')
  })

  await t.test('50 concurrent POSTs with one key create one row and all get its answer', async (t) => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => app.inject({ method: 'POST', url: '/books', headers: keyed('crowd'), payload: book('978-0999000804') }))
    )
    t.same([...new Set(answers.map((answer) => answer.statusCode))], [201], answers.find((answer) => answer.statusCode !== 201)?.body ?? 'every one a 201')
    t.equal(new Set(answers.map((answer) => answer.body)).size, 1, 'one body')
    t.equal(answers.filter((answer) => answer.headers['idempotent-replayed'] === undefined).length, 1, 'one ran, 49 replayed')
    t.equal(await count("SELECT COUNT(*) AS n FROM books WHERE isbn = '978-0999000804'"), 1)
  })

  await t.test('where nothing unique would catch a duplicate, the key does (POST /orders)', async (t) => {
    const before = await count('SELECT stock AS n FROM books WHERE id = 5')
    const orders = await count('SELECT COUNT(*) AS n FROM orders')
    for (let i = 0; i < 3; i++) t.equal((await app.inject({ method: 'POST', url: '/orders', headers: keyed('order-1'), payload: { bookId: 5, quantity: 1 } })).statusCode, 201)
    t.equal(await count('SELECT COUNT(*) AS n FROM orders'), orders + 1, 'one order')
    t.equal(await count('SELECT stock AS n FROM books WHERE id = 5'), before - 1, 'stock taken once')
  })

  await t.test('a replay survives a restart', async (t) => {
    const first = await app.inject({ method: 'POST', url: '/books', headers: keyed('restart'), payload: book('978-0999000805') })
    await app.close()
    app = await buildApp(config)
    const again = await app.inject({ method: 'POST', url: '/books', headers: keyed('restart'), payload: book('978-0999000805') })
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.equal(again.body, first.body)
  })

  await t.test('the key is checked and documented', async (t) => {
    const long = problemOf(t, await app.inject({ method: 'POST', url: '/books', headers: keyed('k'.repeat(256)), payload: book('978-0999000806') }), 400)
    t.equal(long.errors?.[0]?.path, 'headers.idempotency-key')
    problemOf(t, await app.inject({ method: 'POST', url: '/books', headers: keyed('no spaces'), payload: book('978-0999000806') }), 400)
    const post = (await app.inject('/openapi.json')).json().paths['/books'].post
    t.ok(post.parameters.some((parameter: { in: string; name: string }) => parameter.in === 'header' && parameter.name === 'idempotency-key'))
  })

  t.equal((await waitForIdlePool(app)).active, 0, 'the pool is idle afterwards')
})

t.test('keys are per caller, and expire after IDEMPOTENCY_TTL_MS', async (t) => {
  const config = await createTestDatabase(t)
  await seedDemoData(config)
  const app = await buildApp({ ...config, AUTH_MODE: 'jwt', AUTH_JWT_SECRET: TEST_SECRET, IDEMPOTENCY_TTL_MS: 1_000 })
  t.teardown(() => app.close())
  const order = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/orders', headers: { ...headers, 'idempotency-key': 'mine' }, payload: { bookId: 6, quantity: 1 } })
  const alice = bearer('alice', [])
  const bob = bearer('bob', [])
  const first = await order(alice)
  t.equal(first.statusCode, 201)
  const bobs = await order(bob)
  t.equal(bobs.statusCode, 201)
  t.equal(bobs.headers['idempotent-replayed'], undefined, "bob's key is not alice's")
  t.equal((await order(alice)).headers['idempotent-replayed'], 'true')
  await new Promise((resolve) => setTimeout(resolve, 2_500))
  const [{ n }] = await app.db.query('SELECT COUNT(*) AS n FROM lifeguard_idempotency_keys')
  t.equal(Number(n), 0, 'swept')
  const late = await order(alice)
  t.equal(late.statusCode, 201)
  t.equal(late.headers['idempotent-replayed'], undefined, 'an expired key runs again')
  t.not(late.headers.location, first.headers.location, 'a new order')
})
