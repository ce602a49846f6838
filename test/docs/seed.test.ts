import t from 'tap'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import type { RowDataPacket } from 'mysql2/promise'
import { loadConfig } from '../../src/config'
import { DEMO_AUTHORS, DEMO_BOOKS, DEMO_ORDERS } from '../../src/tools/demo-data'
import { SeedRefusedError, seedDemoData } from '../../src/tools/seed'
import { adminConnection, dropDatabase, TEST_SERVER_URL } from '../helper'
import { operatorEnv, ROOT } from '../support/server-process'

// `npm run seed` lives in src/tools/; its test sits with the docs whose examples depend on it.

function freshDatabaseUrl(t: { teardown(fn: () => unknown): void }): { database: string; url: string } {
  const database = `lg_test_seed_${randomBytes(4).toString('hex')}`
  t.teardown(() => dropDatabase(database))
  return { database, url: `${TEST_SERVER_URL}/${database}` }
}

async function dump(database: string) {
  const connection = await adminConnection(database)
  try {
    const rows = async (sql: string) => (await connection.query<RowDataPacket[]>(sql))[0]
    return {
      authors: await rows('SELECT * FROM authors ORDER BY id'),
      books: await rows('SELECT * FROM books ORDER BY id'),
      orders: await rows('SELECT * FROM orders ORDER BY id')
    }
  } finally {
    await connection.end()
  }
}

/**
 * The ids the next INSERTs get, probed by inserting (information_schema may show a cached value).
 * The probe is rolled back, but InnoDB keeps the counters it advanced: call it last, or before a reset.
 */
async function nextIds(database: string) {
  const connection = await adminConnection(database)
  try {
    const next: Record<string, number> = {}
    await connection.query('SET foreign_key_checks = 0')
    await connection.beginTransaction()
    for (const table of ['authors', 'books', 'orders']) {
      const values =
        table === 'authors'
          ? "(name) VALUES ('probe')"
          : table === 'books'
            ? "(title, isbn, price, authorId, version) VALUES ('probe', 'probe', 1, 1, 1)"
            : '(bookId, quantity) VALUES (1, 1)'
      const [result] = await connection.query(`INSERT INTO ${table} ${values}`)
      next[table] = (result as { insertId: number }).insertId
    }
    await connection.rollback()
    return next
  } finally {
    await connection.end()
  }
}

t.test('seeds the demo rows with orders taken out of stock, refuses a second time, and --reset reseeds alike', async (t) => {
  const { database, url } = freshDatabaseUrl(t)
  const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' })

  const first = await seedDemoData(config)
  t.same(first.seeded, { authors: 6, books: 24, orders: 5 })
  const seeded = await dump(database)
  t.equal(seeded.authors.length, DEMO_AUTHORS.length)
  t.equal(seeded.orders.length, DEMO_ORDERS.length)
  for (const book of DEMO_BOOKS) {
    const orders = DEMO_ORDERS.filter((order) => order.bookId === book.id)
    const row = seeded.books.find((candidate) => candidate.id === book.id)
    t.match(
      row,
      {
        stock: book.stock - orders.reduce((sum, order) => sum + order.quantity, 0),
        version: 1 + orders.length
      },
      `book ${book.id}: each order took its copies and bumped the version, as POST /orders does`
    )
  }
  t.match(seeded.books[0], { title: 'Dune', stock: 10, version: 3, updatedAt: new Date('2026-03-23T09:10:00.000Z') })
  t.same(await nextIds(database), { authors: 7, books: 25, orders: 6 }, 'what clients create next gets the documented ids')

  await t.rejects(seedDemoData(config), SeedRefusedError, 'a second seed refuses')
  await t.rejects(seedDemoData(config), /already holds 6 authors, 24 books and 5 orders; `npm run seed -- --reset`/)
  t.same(await dump(database), seeded, 'and changes nothing')

  // What a reader's session leaves behind: new rows (higher ids), changed stock, a deletion.
  const admin = await adminConnection(database)
  await admin.query("INSERT INTO authors (id, name) VALUES (40, 'Someone')")
  await admin.query("INSERT INTO books (id, title, isbn, price, authorId, version) VALUES (90, 'New', '978-0000000000', 1, 40, 1)")
  await admin.query('UPDATE books SET stock = 0, version = 7 WHERE id = 1')
  await admin.query('DELETE FROM books WHERE id = 4')
  await admin.end()

  const reset = await seedDemoData(config, { reset: true })
  t.same(reset.removed, { authors: 7, books: 24, orders: 5 })
  t.same(await dump(database), seeded, '--reset restores exactly the first seed')
  t.same(await nextIds(database), { authors: 7, books: 25, orders: 6 }, 'and the id counters with it')
})

t.test('npm run seed: creates and migrates a missing database, then refuses to seed it twice', async (t) => {
  const { database, url } = freshDatabaseUrl(t)
  const seedCommand = async (...args: string[]) => {
    // As `npm run seed` runs it (ts-node on the source), without tap's loader in NODE_OPTIONS.
    const command = ['-u', 'NODE_OPTIONS', process.execPath, '-r', 'ts-node/register/transpile-only', 'src/tools/seed.ts', ...args]
    try {
      const { stdout, stderr } = await promisify(execFile)('env', command, {
        cwd: ROOT,
        env: operatorEnv({ DATABASE_URL: url })
      })
      return { code: 0, stdout, stderr }
    } catch (err) {
      const failed = err as { code: number; stdout: string; stderr: string }
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
    }
  }

  const first = await seedCommand()
  t.same(first, { code: 0, stdout: `seeded ${url} with 6 authors, 24 books and 5 orders\n`, stderr: '' })
  const again = await seedCommand()
  t.equal(again.code, 1)
  t.equal(
    again.stderr,
    `seed refused: ${database} already holds 6 authors, 24 books and 5 orders; ` +
      '`npm run seed -- --reset` empties authors, books and orders and seeds them again\n'
  )
  const reset = await seedCommand('--reset')
  t.equal(reset.code, 0)
  t.match(reset.stdout, /^removed 6 authors, 24 books and 5 orders, then seeded /)
  const typo = await seedCommand('--rest')
  t.equal(typo.code, 1)
  t.match(typo.stderr, /^seed: unknown argument --rest\nusage: npm run seed \[-- --reset\]/)
})
