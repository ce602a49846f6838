import 'reflect-metadata'
import mysql from 'mysql2/promise'
import { ConfigError, loadConfig, redactUrl, type Config } from '../config'
import { parseDatabaseUrl } from '../db/data-source-options'
import { ensureDatabase, runPendingMigrations } from '../db/prepare-database'
import { DEMO_AUTHORS, DEMO_BOOKS, DEMO_ORDERS } from './demo-data'

/**
 * `npm run seed [-- --reset]`: writes the demo data set (src/tools/demo-data.ts) to the database
 * in DATABASE_URL, creating and migrating it first as `npm start` does.
 *
 * It refuses a database whose domain tables hold any row: seeding next to other rows would give
 * the documented examples other ids, and emptying someone's tables must be asked for. `--reset`
 * asks for it: authors, books and orders are emptied and seeded in one transaction, so a failure
 * leaves the old rows. Either way the id counters end right after the demo rows, so what clients
 * create next gets the ids the docs show.
 */

/** Children first, so no foreign key blocks the emptying. */
const DOMAIN_TABLES = ['orders', 'books', 'authors'] as const
type RowCounts = Record<(typeof DOMAIN_TABLES)[number], number>

export class SeedRefusedError extends Error {
  override name = 'SeedRefusedError'
}

export interface SeedOptions {
  /** empty authors, books and orders first instead of refusing when they hold rows */
  reset?: boolean
}

export interface SeedResult {
  /** rows removed by `reset` (all zero without it) */
  removed: RowCounts
  seeded: RowCounts
}

export async function seedDemoData(config: Config, options: SeedOptions = {}): Promise<SeedResult> {
  await ensureDatabase(config)
  await runPendingMigrations(config)
  const { host, port, username, password, database } = parseDatabaseUrl(config.DATABASE_URL)
  const connection = await mysql.createConnection({ host, port, user: username, password, database })
  try {
    await connection.beginTransaction()
    let removed: RowCounts
    try {
      removed = await countRows(connection)
      if (!options.reset && Object.values(removed).some((count) => count > 0)) {
        throw new SeedRefusedError(
          `seed refused: ${database} already holds ${describeCounts(removed)}; ` +
            '`npm run seed -- --reset` empties authors, books and orders and seeds them again'
        )
      }
      for (const table of DOMAIN_TABLES) await connection.query(`DELETE FROM ${table}`)
      // Stored Idempotency-Key answers name rows that are gone now: a replay would point at nothing.
      await connection.query('DELETE FROM lifeguard_idempotency_keys')
      await insertDemoRows(connection)
      await connection.commit()
    } catch (err) {
      await connection.rollback()
      throw err
    }
    // Ids are given explicitly, and DELETE keeps a table's counter where it was. InnoDB raises a
    // counter set below the largest id to that id + 1: exactly "next id after the demo rows".
    // (DDL commits implicitly, hence after the transaction.)
    for (const table of DOMAIN_TABLES) await connection.query(`ALTER TABLE ${table} AUTO_INCREMENT = 1`)
    return { removed, seeded: { authors: DEMO_AUTHORS.length, books: DEMO_BOOKS.length, orders: DEMO_ORDERS.length } }
  } finally {
    await connection.end()
  }
}

async function countRows(connection: mysql.Connection): Promise<RowCounts> {
  const [[counts]] = await connection.query<mysql.RowDataPacket[]>(
    'SELECT (SELECT COUNT(*) FROM authors) AS authors, (SELECT COUNT(*) FROM books) AS books,' +
      ' (SELECT COUNT(*) FROM orders) AS orders'
  )
  return { authors: Number(counts.authors), books: Number(counts.books), orders: Number(counts.orders) }
}

/** Rows as the routes would have written them: version 1 on insert, and each order as POST /orders places it. */
async function insertDemoRows(connection: mysql.Connection): Promise<void> {
  await connection.query('INSERT INTO authors (id, name, bio, createdAt) VALUES ?', [
    DEMO_AUTHORS.map((author) => [author.id, author.name, author.bio, datetime(author.createdAt)])
  ])
  await connection.query(
    'INSERT INTO books (id, title, isbn, price, stock, authorId, version, createdAt, updatedAt) VALUES ?',
    [
      DEMO_BOOKS.map((book) => [
        book.id,
        book.title,
        book.isbn,
        book.price,
        book.stock,
        book.authorId,
        1,
        datetime(book.addedAt),
        datetime(book.addedAt)
      ])
    ]
  )
  for (const order of DEMO_ORDERS) {
    // POST /orders' own effect: copies out of stock, the version bumped (a new ETag), the update stamped.
    const [taken] = await connection.query<mysql.ResultSetHeader>(
      'UPDATE books SET stock = stock - ?, version = version + 1, updatedAt = ? WHERE id = ? AND stock >= ?',
      [order.quantity, datetime(order.placedAt), order.bookId, order.quantity]
    )
    if (taken.affectedRows !== 1) throw new Error(`demo order ${order.id}: book ${order.bookId} lacks ${order.quantity} copies`)
    await connection.query('INSERT INTO orders (id, bookId, quantity, status, createdAt) VALUES (?, ?, ?, ?, ?)', [
      order.id,
      order.bookId,
      order.quantity,
      order.status,
      datetime(order.placedAt)
    ])
  }
}

/** RFC 3339 UTC -> DATETIME text; the app's sessions run in UTC, so the value reads back unchanged. */
function datetime(iso: string): string {
  return iso.replace('T', ' ').replace('Z', '')
}

function describeCounts(counts: RowCounts): string {
  return `${counts.authors} authors, ${counts.books} books and ${counts.orders} orders`
}

const USAGE = 'usage: npm run seed [-- --reset]   (--reset empties authors, books and orders first)'

/** The command: one line on stdout when seeded, one line on stderr and exit code 1 when not. */
export async function main(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const unknown = args.filter((arg) => arg !== '--reset')
  if (unknown.length > 0) {
    process.stderr.write(`seed: unknown argument ${unknown[0]}\n${USAGE}\n`)
    return 1
  }
  try {
    const config = loadConfig(env)
    const { removed, seeded } = await seedDemoData(config, { reset: args.includes('--reset') })
    const emptied = args.includes('--reset') ? `removed ${describeCounts(removed)}, then ` : ''
    process.stdout.write(`${emptied}seeded ${redactUrl(config.DATABASE_URL)} with ${describeCounts(seeded)}\n`)
    return 0
  } catch (err) {
    // Refusals and bad config are an operator's to act on: one line, no stack.
    const known = err instanceof SeedRefusedError || err instanceof ConfigError
    process.stderr.write(`${known ? '' : 'seed failed: '}${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code))
}
