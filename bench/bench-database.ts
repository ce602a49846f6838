import mysql from 'mysql2/promise'
import { loadConfig } from '../src/config'
import { ensureDatabase, runPendingMigrations } from '../src/db/prepare-database'
import { connectionOptions } from './baselines/database-access'

export interface SeedSize {
  authors: number
  books: number
}

export const FULL_SEED: SeedSize = { authors: 100, books: 10_000 }

/** Stock so large that no bench run can sell a book out: every order is a real sale. */
export const HUGE_STOCK = 1_000_000_000

/** Seconds every row of `slow_books` costs the server: the slow-database scenario's 5 ms query. */
export const SLOW_QUERY_SECONDS = 0.005

const INSERT_CHUNK = 1_000
const TITLE_WORDS = ['Tide', 'Harbour', 'Lantern', 'Reef', 'Current', 'Shore', 'Anchor', 'Gull', 'Drift', 'Swell']

/**
 * Creates and migrates the bench database the way the service does at start-up, seeds it
 * once, and on later runs only removes what earlier runs added (books created by POST,
 * orders, sold stock) so every run starts from the same rows.
 */
export async function prepareBenchDatabase(databaseUrl: string, size: SeedSize = FULL_SEED): Promise<void> {
  const config = loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' })
  await ensureDatabase(config)
  await runPendingMigrations(config)
  const connection = await mysql.createConnection(connectionOptions(databaseUrl))
  try {
    if (await isSeeded(connection, size)) await removeEarlierRunsRows(connection, size)
    else await seed(connection, size)
    await createSlowView(connection)
  } finally {
    await connection.end()
  }
}

async function isSeeded(connection: mysql.Connection, size: SeedSize): Promise<boolean> {
  const [[counts]] = await connection.query<any[]>(
    'SELECT (SELECT COUNT(*) FROM authors) AS authors, (SELECT COUNT(*) FROM books WHERE id <= ?) AS books',
    [size.books]
  )
  return Number(counts.authors) === size.authors && Number(counts.books) === size.books
}

async function removeEarlierRunsRows(connection: mysql.Connection, size: SeedSize): Promise<void> {
  await connection.query('DELETE FROM orders')
  await connection.query('DELETE FROM books WHERE id > ?', [size.books])
  await connection.query('UPDATE books SET stock = ?, version = 1 WHERE stock <> ? OR version <> 1', [
    HUGE_STOCK,
    HUGE_STOCK
  ])
}

async function seed(connection: mysql.Connection, size: SeedSize): Promise<void> {
  await connection.query('DELETE FROM orders')
  await connection.query('DELETE FROM books')
  await connection.query('DELETE FROM authors')
  const authors = range(size.authors).map((i) => [i, `Author ${i}`])
  await connection.query('INSERT INTO authors (id, name) VALUES ?', [authors])
  const books = range(size.books).map((i) => [
    i,
    `${TITLE_WORDS[(i * 7) % 10]} ${TITLE_WORDS[(i * 3) % 10]} ${i}`,
    `978${String(i).padStart(10, '0')}`,
    // Prices spread evenly over 5.00..104.99 so a price filter keeps a predictable share.
    5 + ((i * 37) % 10_000) / 100,
    HUGE_STOCK,
    1 + (i % size.authors),
    1
  ])
  for (let start = 0; start < books.length; start += INSERT_CHUNK) {
    await connection.query('INSERT INTO books (id, title, isbn, price, stock, authorId, version) VALUES ?', [
      books.slice(start, start + INSERT_CHUNK)
    ])
  }
}

/**
 * `slow_books` is `books` with SLEEP on every row it returns, so a primary-key read costs
 * the server ~5 ms and holds its connection meanwhile, like a slow real query would.
 */
async function createSlowView(connection: mysql.Connection): Promise<void> {
  await connection.query(
    `CREATE OR REPLACE VIEW slow_books AS SELECT id, title, isbn, price, stock, authorId, version, createdAt, updatedAt` +
      ` FROM books WHERE SLEEP(${SLOW_QUERY_SECONDS}) = 0`
  )
}

/**
 * What one slow query really costs end to end on one connection (SLEEP plus parsing,
 * reading the row and the round trip): the physical bound of a pool of N connections is
 * N ÷ this. Measured by running it `samples` times back to back.
 */
export async function measureSlowQuerySeconds(databaseUrl: string, samples = 40): Promise<number> {
  const connection = await mysql.createConnection(connectionOptions(databaseUrl))
  try {
    const sql = 'SELECT id, title, isbn, price, stock, authorId, version, createdAt, updatedAt FROM slow_books WHERE id = ?'
    await connection.execute(sql, [1])
    const started = process.hrtime.bigint()
    for (let i = 1; i <= samples; i++) await connection.execute(sql, [i])
    return Number(process.hrtime.bigint() - started) / 1e9 / samples
  } finally {
    await connection.end()
  }
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i + 1)
}
