import t from 'tap'
import {
  AfterInsert,
  AfterLoad,
  AfterRemove,
  AfterUpdate,
  BeforeInsert,
  BeforeRemove,
  BeforeUpdate,
  Column,
  Entity,
  EventSubscriber,
  PrimaryGeneratedColumn,
  VersionColumn,
  type EntitySubscriberInterface,
  type InsertEvent
} from 'typeorm'
import type { FastifyInstance } from 'fastify'
import { entities, Book } from '../../entities'
import { RestResource } from '../../src/rest/resource'
import { buildTestApp } from '../helper'
import { seedAuthors } from '../fixtures/seed'

/** What the listeners of StampedNote saw, in order. */
const seen: string[] = []

/** A test-only entity with listeners of every kind the routes must keep calling. */
@Entity('stamped_notes')
@RestResource<StampedNote>({ writable: ['body', 'at'], readable: ['id', 'body', 'stamp', 'slug', 'at', 'version'], filterable: ['id'], sortable: ['id'] })
class StampedNote {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id: number

  @Column({ type: 'varchar', length: 100 })
  body: string

  @Column({ type: 'varchar', length: 20 })
  stamp: string

  @Column({ type: 'varchar', length: 100, default: '' })
  slug: string

  @Column({ type: 'datetime', precision: 6, nullable: true })
  at: Date | null

  @VersionColumn({ type: 'int', unsigned: true })
  version: number

  @BeforeInsert()
  stampIt() {
    this.stamp = 'listener-ran'
    this.slug = this.body.toLowerCase().replace(/\W+/g, '-')
    seen.push(`beforeInsert ${this.body}`)
  }

  @AfterInsert()
  inserted() {
    seen.push(`afterInsert ${this.id} v${this.version}`)
  }

  @BeforeUpdate()
  reslug() {
    this.slug = this.body.toLowerCase().replace(/\W+/g, '-')
    seen.push(`beforeUpdate ${this.id}`)
  }

  @AfterUpdate()
  updated() {
    seen.push(`afterUpdate ${this.id}`)
  }

  @AfterLoad()
  shout() {
    this.body = this.body.toUpperCase()
  }

  @BeforeRemove()
  removing() {
    seen.push(`beforeRemove ${this.id}`)
  }

  @AfterRemove()
  removed() {
    seen.push(`afterRemove`)
  }
}

const TABLE =
  'CREATE TABLE stamped_notes (id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, body varchar(100) NOT NULL, ' +
  "stamp varchar(20) NOT NULL, slug varchar(100) NOT NULL DEFAULT '', at datetime(6) NULL, version int unsigned NOT NULL)"

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

t.test('an entity without listeners or subscribers takes the fast path: no QueryRunner', async (t) => {
  const app = await buildTestApp(t)
  const [authorId] = await seedAuthors(app, [{ name: 'Ursula K. Le Guin' }])
  const body = { title: 'The Dispossessed', isbn: '978-0061054884', price: 12.5, stock: 4, authorId }
  let created: any
  const runners = await queryRunnersDuring(app, async () => {
    created = await app.inject({ method: 'POST', url: '/books', payload: body })
    await app.inject(`/books/${created.json().id}`)
    await app.inject('/books?orderby.title=asc')
  })
  t.equal(created.statusCode, 201)
  t.equal(runners, 0, 'POST, GET and a list made no TypeORM QueryRunner')
  t.same((await app.inject(`/books/${created.json().id}`)).json(), created.json(), 'the POST answer is the row GET returns')
  t.equal(app.db.getMetadata(Book).listeners.length, 0)
})

t.test('listeners run around the generated routes, as TypeORM runs them', async (t) => {
  const app = await buildTestApp(t, {}, { entities: [...entities, StampedNote] })
  await app.db.query(TABLE)
  seen.length = 0

  const created = await app.inject({ method: 'POST', url: '/stamped-notes', payload: { body: 'Hello World', at: '2026-01-02T03:04:05.123456Z' } })
  t.equal(created.statusCode, 201, created.body)
  const note = created.json()
  const [stored] = await app.db.query('SELECT stamp, slug, body FROM stamped_notes WHERE id = ?', [note.id])
  t.same(stored, { stamp: 'listener-ran', slug: 'hello-world', body: 'Hello World' }, '@BeforeInsert set columns a body cannot')
  t.same(seen, ['beforeInsert Hello World', `afterInsert ${note.id} v1`], '@AfterInsert saw the generated key and version')
  t.equal(note.body, 'HELLO WORLD', 'the answer went through @AfterLoad, as a GET does')
  t.equal(note.at, '2026-01-02T03:04:05.123456Z', 'a value no listener changed keeps its microseconds')

  const fetched = (await app.inject(`/stamped-notes/${note.id}`)).json()
  t.same(fetched, note, 'GET answers what POST answered')
  const listed = (await app.inject('/stamped-notes')).json()
  t.equal(listed[0].body, 'HELLO WORLD', '@AfterLoad runs on list rows')

  seen.length = 0
  const patched = await app.inject({ method: 'PATCH', url: `/stamped-notes/${note.id}`, headers: { 'if-match': '"1"' }, payload: { body: 'New Body' } })
  t.equal(patched.statusCode, 200, patched.body)
  t.same(seen, [`beforeUpdate ${note.id}`, `afterUpdate ${note.id}`])
  const [afterPatch] = await app.db.query('SELECT slug, version FROM stamped_notes WHERE id = ?', [note.id])
  t.same(afterPatch, { slug: 'new-body', version: 2 }, '@BeforeUpdate changed a column the body did not name')

  const stale = await app.inject({ method: 'PATCH', url: `/stamped-notes/${note.id}`, headers: { 'if-match': '"1"' }, payload: { body: 'x' } })
  t.equal(stale.statusCode, 412, 'a stale If-Match is still a 412')
  t.equal(stale.headers.etag, '"2"', 'carrying the current ETag')

  seen.length = 0
  const deleted = await app.inject({ method: 'DELETE', url: `/stamped-notes/${note.id}` })
  t.equal(deleted.statusCode, 204)
  t.same(seen, [`beforeRemove ${note.id}`, 'afterRemove'])
  t.equal((await app.inject(`/stamped-notes/${note.id}`)).statusCode, 404)
})

/** What the subscriber saw. */
const heard: string[] = []

/** A subscriber registered the TypeORM way (a decorated class in the DataSource's `subscribers`). */
@EventSubscriber()
class NoteSubscriber implements EntitySubscriberInterface<StampedNote> {
  listenTo() {
    return StampedNote
  }
  beforeInsert(event: InsertEvent<StampedNote>) {
    heard.push(`beforeInsert ${event.entity.body}`)
  }
  afterLoad(entity: StampedNote) {
    heard.push(`afterLoad ${entity.id}`)
  }
  beforeQuery() {
    heard.push('beforeQuery')
  }
}

t.test('subscribers get entity and query events from the generated routes', async (t) => {
  const app = await buildTestApp(t, {}, { entities: [...entities, StampedNote], subscribers: [NoteSubscriber] })
  await app.db.query(TABLE)
  heard.length = 0
  const created = await app.inject({ method: 'POST', url: '/stamped-notes', payload: { body: 'Sub' } })
  t.equal(created.statusCode, 201, created.body)
  t.ok(heard.includes('beforeInsert Sub'), 'beforeInsert')
  t.ok(heard.includes(`afterLoad ${created.json().id}`), 'afterLoad on the answer')
  t.ok(heard.includes('beforeQuery'), "query events for the routes' own statements")
  heard.length = 0
  const books = await app.inject('/books')
  t.equal(books.statusCode, 200)
  t.ok(heard.includes('beforeQuery'), 'with a subscriber, every entity reads through a QueryRunner')
  t.notOk(heard.some((event) => event.startsWith('afterLoad')), 'listenTo() keeps other entities out of its entity events')
})
