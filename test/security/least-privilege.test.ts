import t from 'tap'
import { loadConfig } from '../../src/config'
import { buildApp } from '../../src/app'
import { refusePendingMigrations, runPendingMigrations } from '../../src/db/prepare-database'
import { waitForDatabase } from '../../src/db/wait-for-database'
import { findSchemaGaps } from '../../src/db/schema-check'
import { isRestEntity } from '../../src/rest/resource-model'
import { adminConnection } from '../helper'
import { problemOf } from '../fixtures/seed'
import { connectAs, createDmlUser } from './dml-user'

const silentLog = { info() {}, warn() {} }

t.test('the whole CRUD surface runs as a DML-only account; migrations ran as MIGRATIONS_DATABASE_URL', async (t) => {
  const account = await createDmlUser(t, 'dml')
  const config = loadConfig({ DATABASE_URL: account.appUrl, MIGRATIONS_DATABASE_URL: account.migrationsUrl, LOG_LEVEL: 'silent' })
  // What npm start does first: wait for the server, create the database, migrate — all as the migrations account.
  await waitForDatabase(config, silentLog)
  t.match(await runPendingMigrations(config), [/^DomainSchema\d+$/], 'the migrations account applied the schema')

  const appOnly = loadConfig({ DATABASE_URL: account.appUrl, MIGRATIONS_RUN: 'false', LOG_LEVEL: 'silent' })
  await t.resolves(refusePendingMigrations(appOnly), 'MIGRATIONS_RUN=false: the pending check needs only SELECT, no migrations account')

  const app = await buildApp(config)
  t.teardown(() => app.close())
  const [{ who }] = await app.db.query('SELECT CURRENT_USER() AS who')
  t.match(who, new RegExp(`^${account.user}@`), 'the app pool is the DML-only account')
  t.same(await findSchemaGaps(app.db, app.db.entityMetadatas.filter(isRestEntity)), [], "the start-up schema check sees the tables through information_schema")

  const post = (url: string, payload: object) => app.inject({ method: 'POST', url, payload })
  const author = await post('/authors', { name: 'Ursula' })
  t.equal(author.statusCode, 201, 'create an author')
  const bookBody = { title: 'A Wizard of Earthsea', isbn: '978-dml-1', price: 12.5, stock: 4, authorId: author.json().id }
  const created = await post('/books', bookBody)
  t.equal(created.statusCode, 201, 'create a book')
  const book = created.json()
  t.same((await app.inject(`/books/${book.id}`)).json(), book, 'read it')
  const listed = await app.inject('/books?orderby.title=asc&totalCount=true&limit=1')
  t.equal(listed.statusCode, 200, 'list')
  t.equal(listed.headers['x-total-count'], '1')
  const patched = await app.inject({ method: 'PATCH', url: `/books/${book.id}`, payload: { stock: 9 }, headers: { 'if-match': '"1"' } })
  t.match(patched.json(), { stock: 9, version: 2 }, 'update')
  const replaced = await app.inject({ method: 'PUT', url: `/books/${book.id}`, payload: { ...bookBody, title: 'The Tombs of Atuan' } })
  t.match(replaced.json(), { title: 'The Tombs of Atuan', version: 3 }, 'replace')
  const order = await post('/orders', { bookId: book.id, quantity: 2 })
  t.equal(order.statusCode, 201, 'POST /orders: a transaction with a row lock')
  t.match((await app.inject(`/books/${book.id}`)).json(), { stock: 2 }, 'the order took the stock')
  problemOf(t, await post('/orders', { bookId: book.id, quantity: 5 }), 409)
  const spare = await post('/books', { ...bookBody, isbn: '978-dml-2' })
  t.equal((await app.inject({ method: 'DELETE', url: `/books/${spare.json().id}` })).statusCode, 204, 'delete')
  problemOf(t, await app.inject(`/books/${spare.json().id}`), 404)

  // DDL is refused to the app account, from the app's own pool and from a plain connection alike.
  await t.rejects(app.db.query('CREATE TABLE intruder (id INT)'), { code: 'ER_TABLEACCESS_DENIED_ERROR', errno: 1142 }, 'CREATE TABLE through the app pool')
  const own = await connectAs(account)
  t.teardown(() => own.end())
  await t.rejects(own.query('DROP TABLE books'), { code: 'ER_TABLEACCESS_DENIED_ERROR', errno: 1142 }, 'DROP TABLE')
  await t.rejects(own.query('ALTER TABLE books ADD COLUMN x INT'), { code: 'ER_TABLEACCESS_DENIED_ERROR', errno: 1142 }, 'ALTER TABLE')
  await t.rejects(own.query('CREATE DATABASE lg_intruder_db'), { code: 'ER_DBACCESS_DENIED_ERROR' }, 'CREATE DATABASE')
  await t.rejects(own.query('SELECT * FROM mysql.user'), { code: 'ER_TABLEACCESS_DENIED_ERROR', errno: 1142 }, 'no reads outside its schema')

  // The statement killer needs no privilege beyond DML: an account may always KILL QUERY its own threads.
  const busy = await connectAs(account)
  t.teardown(() => busy.end().catch(() => {}))
  const [[{ threadId }]] = (await busy.query('SELECT CONNECTION_ID() AS threadId')) as any
  // Settled into a value at once: the kill can land before the assertion below is reached.
  const sleeping = busy.query('SELECT SLEEP(20) AS slept').then(() => undefined, (err: unknown) => err)
  const admin = await adminConnection()
  t.teardown(() => admin.end())
  for (let i = 0; i < 400; i++) {
    const [rows] = (await admin.query("SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = ? AND STATE = 'User sleep'", [threadId])) as any
    if (rows.length > 0) break
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  await own.query(`KILL QUERY ${Number(threadId)}`)
  t.match(await sleeping, { code: 'ER_QUERY_INTERRUPTED', errno: 1317 }, 'its own KILL QUERY interrupted the statement')
})

t.test('without MIGRATIONS_DATABASE_URL a DML-only account cannot migrate: CREATE command denied', async (t) => {
  const account = await createDmlUser(t, 'dmlonly')
  const admin = await adminConnection()
  await admin.query(`CREATE DATABASE \`${account.database}\``)
  await admin.end()
  const config = loadConfig({ DATABASE_URL: account.appUrl, LOG_LEVEL: 'silent' })
  await waitForDatabase(config, silentLog)
  await t.rejects(runPendingMigrations(config), /CREATE command denied/, 'why MIGRATIONS_DATABASE_URL exists')
})
