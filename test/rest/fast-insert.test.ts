import t from 'tap'
import { BeforeInsert, Column, Entity, PrimaryGeneratedColumn } from 'typeorm'
import type { FastifyInstance } from 'fastify'
import { entities, Book } from '../../entities'
import { RestResource } from '../../src/rest/resource'
import { buildResourceModel } from '../../src/rest/resource-model'
import { fastInsertApplies } from '../../src/rest/fast-insert'
import { buildTestApp } from '../helper'
import { seedAuthors } from '../fixtures/seed'

/** A test-only entity with a listener: TypeORM must keep doing its inserts, so the listener runs. */
@Entity('stamped_notes')
@RestResource<StampedNote>({ writable: ['body'], filterable: ['id'], sortable: ['id'] })
class StampedNote {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id: number

  @Column({ type: 'varchar', length: 100 })
  body: string

  @Column({ type: 'varchar', length: 20 })
  stamp: string

  @BeforeInsert()
  stampIt() {
    this.stamp = 'listener-ran'
  }
}

/** Counts TypeORM QueryRunners made while `work` runs: the fast path makes none. */
async function queryRunnersDuring(app: FastifyInstance, work: () => Promise<unknown>): Promise<number> {
  const original = app.db.createQueryRunner.bind(app.db)
  let made = 0
  app.db.createQueryRunner = (...args) => {
    made++
    return original(...args)
  }
  try {
    await work()
  } finally {
    app.db.createQueryRunner = original
  }
  return made
}

t.test('POST /books is one prepared INSERT ... RETURNING, answered like GET', async (t) => {
  const app = await buildTestApp(t)
  t.equal(fastInsertApplies(app.db, buildResourceModel(app.db.getMetadata(Book))), true, 'Book qualifies')
  const [authorId] = await seedAuthors(app, [{ name: 'Ursula K. Le Guin' }])
  const body = { title: 'The Dispossessed', isbn: '978-0061054884', price: 12.5, stock: 4, authorId }
  let created: any
  const runners = await queryRunnersDuring(app, async () => {
    created = await app.inject({ method: 'POST', url: '/books', payload: body })
  })
  t.equal(created.statusCode, 201)
  t.equal(runners, 0, 'no TypeORM QueryRunner was involved')
  const row = created.json()
  t.match(row, { ...body, version: 1 })
  t.equal(created.headers.location, `/books/${row.id}`)
  t.equal(created.headers.etag, '"1"')
  const fetched = await app.inject(`/books/${row.id}`)
  t.same(fetched.json(), row, 'the POST answer is the row GET returns')

  const duplicate = await app.inject({ method: 'POST', url: '/books', payload: body })
  t.equal(duplicate.statusCode, 409, 'a duplicate isbn is still a 409 on the fast path')
  const orphan = await app.inject({ method: 'POST', url: '/books', payload: { ...body, isbn: '978-0000000000', authorId: 999 } })
  t.equal(orphan.statusCode, 409, 'a missing author is still a 409 on the fast path')
})

t.test('an entity with listeners or subscribers keeps TypeORM inserts', async (t) => {
  const app = await buildTestApp(t, {}, { entities: [...entities, StampedNote] })
  await app.db.query(
    'CREATE TABLE stamped_notes (id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, body varchar(100) NOT NULL, stamp varchar(20) NOT NULL)'
  )
  t.equal(fastInsertApplies(app.db, buildResourceModel(app.db.getMetadata(StampedNote))), false, 'a listener rules it out')

  const created = await app.inject({ method: 'POST', url: '/stamped-notes', payload: { body: 'hello' } })
  t.equal(created.statusCode, 201)
  const [stored] = await app.db.query('SELECT stamp FROM stamped_notes WHERE id = ?', [created.json().id])
  t.equal(stored.stamp, 'listener-ran', 'the @BeforeInsert listener ran')

  app.db.subscribers.push({})
  t.teardown(() => void app.db.subscribers.pop())
  t.equal(fastInsertApplies(app.db, buildResourceModel(app.db.getMetadata(Book))), false, 'a subscriber rules it out')
})
