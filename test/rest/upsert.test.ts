import t from 'tap'
import { Column, Entity, Index, PrimaryGeneratedColumn, VersionColumn } from 'typeorm'
import { entities } from '../../entities'
import { RestResource } from '../../src/rest/resource'
import { buildTestApp } from '../helper'
import { applyGeneratedMigration } from '../fixtures/generated-migration'
import { problemOf } from '../fixtures/seed'
import { bearer, TEST_SECRET } from '../support/tokens'
import { demoApp } from '../fixtures/demo-app'

/** An entity that opts into PUT creating a missing id, with a unique sku. */
@Entity('gadgets')
@RestResource<Gadget>({ writable: ['sku', 'name'], filterable: ['id', 'sku'], sortable: ['id'], upsert: true })
class Gadget {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id: number

  @Index('UQ_gadgets_sku', { unique: true })
  @Column({ type: 'varchar', length: 20 })
  sku: string

  @Column({ type: 'varchar', length: 80 })
  name: string

  @VersionColumn({ type: 'int', unsigned: true })
  version: number
}

/** A uuid-keyed entity: an updated row's key is not in the driver's answer (no auto-increment), so it is looked up. */
@Entity('badges')
@RestResource<Badge>({ writable: ['code', 'label'], filterable: ['id', 'code'], sortable: ['id'] })
class Badge {
  @PrimaryGeneratedColumn('uuid')
  id: string

  @Index('UQ_badges_code', { unique: true })
  @Column({ type: 'varchar', length: 20 })
  code: string

  @Column({ type: 'varchar', length: 80 })
  label: string
}

const book = (isbn: string, price = 9.5) => ({ title: 'Inversions', isbn, price, authorId: 5 })
const MERGE = { prefer: 'resolution=merge-duplicates' }

t.test('POST with Prefer: resolution=merge-duplicates creates or updates by a unique key', async (t) => {
  const app = await demoApp(t)
  const count = async (isbn: string) => Number((await app.db.query('SELECT COUNT(*) AS n FROM books WHERE isbn = ?', [isbn]))[0].n)

  await t.test('one row: 201 when new, 200 with the row updated when its unique key exists', async (t) => {
    const created = await app.inject({ method: 'POST', url: '/books', headers: MERGE, payload: book('978-0999000901') })
    t.equal(created.statusCode, 201, created.body)
    t.equal(created.headers['preference-applied'], 'resolution=merge-duplicates')
    t.match(created.headers.location, /^\/books\/\d+$/)
    const updated = await app.inject({ method: 'POST', url: '/books', headers: MERGE, payload: book('978-0999000901', 12) })
    t.equal(updated.statusCode, 200, updated.body)
    t.match(updated.json(), { id: created.json().id, price: 12, version: 2 }, 'the same row, updated, its version bumped')
    t.equal(await count('978-0999000901'), 1)
    const dune = (await app.inject('/books/1')).json()
    const merged = await app.inject({ method: 'POST', url: '/books', headers: MERGE, payload: { ...book(dune.isbn), title: 'Dune' } })
    t.equal(merged.statusCode, 200)
    t.equal(merged.json().id, 1, 'a seeded row found by its isbn')
    t.equal(merged.json().price, 9.5)
    const plain = await app.inject({ method: 'POST', url: '/books', payload: book(dune.isbn) })
    problemOf(t, plain, 409)
  })

  await t.test('an array: rows in order, which were created said by X-Created-Rows', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/books', headers: MERGE, payload: [book('978-0999000902'), book('978-0999000901', 13), book('978-0999000903')] })
    t.equal(response.statusCode, 200, response.body)
    t.equal(response.headers['x-created-rows'], '0,2')
    t.same(response.json().map((row: { isbn: string; price: number }) => [row.isbn, row.price]), [['978-0999000902', 9.5], ['978-0999000901', 13], ['978-0999000903', 9.5]])
    const allNew = await app.inject({ method: 'POST', url: '/books', headers: MERGE, payload: [book('978-0999000904')] })
    t.equal(allNew.statusCode, 201, 'every row created: 201')
    const bad = problemOf(t, await app.inject({ method: 'POST', url: '/books', headers: MERGE, payload: [book('978-0999000905'), { ...book('978-0999000906'), authorId: 999 }] }), 409)
    t.match(bad.type, /missing-reference/)
    t.equal(await count('978-0999000905'), 0, 'a failing row rolls back the others')
  })

  await t.test('20 concurrent upserts of one key end with one row', async (t) => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => app.inject({ method: 'POST', url: '/books', headers: MERGE, payload: book('978-0999000910', 10 + i) })))
    t.same(answers.map((answer) => answer.statusCode).sort(), [...new Array(19).fill(200), 201], answers.map((answer) => answer.statusCode).join(','))
    t.equal(await count('978-0999000910'), 1)
    const [{ version }] = await app.db.query('SELECT version FROM books WHERE isbn = ?', ['978-0999000910'])
    t.equal(version, 20, 'every upsert applied once')
  })
})

t.test('merge-duplicates on a uuid-keyed entity answers with the row its unique key found', async (t) => {
  const app = await buildTestApp(t, {}, { entities: [...entities, Badge] })
  await applyGeneratedMigration(app)
  const upsert = (payload: object) => app.inject({ method: 'POST', url: '/badges', headers: MERGE, payload })
  const created = await upsert({ code: 'gold', label: 'Gold' })
  t.equal(created.statusCode, 201, created.body)
  t.match(created.json().id, /^[0-9a-f]{8}-[0-9a-f]{4}-/, 'a generated uuid')
  await upsert({ code: 'silver', label: 'Silver' })
  const updated = await upsert({ code: 'gold', label: 'Golden' })
  t.equal(updated.statusCode, 200, updated.body)
  t.same(updated.json(), { id: created.json().id, code: 'gold', label: 'Golden' }, 'the row found by its code, not another')
  const mixed = await app.inject({ method: 'POST', url: '/badges', headers: MERGE, payload: [{ code: 'bronze', label: 'Bronze' }, { code: 'silver', label: 'Argent' }] })
  t.equal(mixed.statusCode, 200, mixed.body)
  t.equal(mixed.headers['x-created-rows'], '0')
  t.same(mixed.json().map((row: { code: string; label: string }) => [row.code, row.label]), [['bronze', 'Bronze'], ['silver', 'Argent']])
  t.equal(Number((await app.db.query('SELECT COUNT(*) AS n FROM badges'))[0].n), 3)
})

t.test('merge-duplicates follows the update rules', async (t) => {
  const app = await demoApp(t, { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: TEST_SECRET })
  const editor = bearer('ed', ['editor'])
  const staff = bearer('sam', ['staff'])
  t.equal((await app.inject({ method: 'POST', url: '/books', headers: { ...MERGE, ...editor }, payload: book('978-0999000920') })).statusCode, 201)
  problemOf(t, await app.inject({ method: 'POST', url: '/books', headers: { ...MERGE, ...staff }, payload: book('978-0999000920') }), 403)
  const order = await app.inject({ method: 'POST', url: '/orders', headers: { ...MERGE, ...bearer('alice', []) }, payload: { bookId: 5, quantity: 1 } })
  t.equal(order.statusCode, 201, 'a hand-written POST ignores the preference')
})

t.test('PUT on a missing id creates it when the entity opts in (upsert: true)', async (t) => {
  const app = await buildTestApp(t, {}, { entities: [...entities, Gadget] })
  await applyGeneratedMigration(app)
  const put = (id: number, payload: object, headers: Record<string, string> = {}) => app.inject({ method: 'PUT', url: `/gadgets/${id}`, payload, headers })
  const created = await put(40, { sku: 'G-40', name: 'lamp' })
  t.equal(created.statusCode, 201, created.body)
  t.equal(created.headers.location, '/gadgets/40')
  t.match(created.json(), { id: 40, sku: 'G-40', version: 1 })
  const replaced = await put(40, { sku: 'G-40', name: 'desk lamp' })
  t.equal(replaced.statusCode, 200)
  t.match(replaced.json(), { id: 40, name: 'desk lamp', version: 2 })
  const minimal = await put(45, { sku: 'G-45', name: 'shelf' }, { prefer: 'return=minimal' })
  t.same([minimal.statusCode, minimal.body, minimal.headers.location, minimal.headers.etag], [201, '', '/gadgets/45', '"1"'], 'a PUT that creates honours return=minimal like every write')
  problemOf(t, await put(41, { sku: 'G-42', name: 'x' }, { 'if-match': '"1"' }), 404)
  problemOf(t, await put(41, { sku: 'G-40', name: 'taken sku' }), 409)
  const answers = await Promise.all(Array.from({ length: 20 }, () => put(50, { sku: 'G-50', name: 'crowd' })))
  t.same(answers.map((answer) => answer.statusCode).sort(), [...new Array(19).fill(200), 201], 'one created, the rest replaced it')
  t.equal(Number((await app.db.query('SELECT COUNT(*) AS n FROM gadgets WHERE id = 50'))[0].n), 1)
  problemOf(t, await app.inject({ method: 'PUT', url: '/books/999', payload: { ...book('978-0999000930'), stock: 1 } }), 404)
  const openapi = (await app.inject('/openapi.json')).json()
  t.ok(openapi.paths['/gadgets/{id}'].put.responses['201'], 'PUT documents its 201')
  t.notOk(openapi.paths['/books/{id}'].put.responses['201'], 'only where the entity opts in')
})
