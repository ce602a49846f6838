import mysql from 'mysql2/promise'
import { loadConfig } from '../../src/config'
import { ensureDatabase, runPendingMigrations } from '../../src/db/prepare-database'
import { connectionOptions } from '../baselines/database-access'
import { HUGE_STOCK } from '../bench-database'

export const AUTHORS = 100

/** One statement per this many rows: a 1M-row table is ten transactions, none holding the undo log of all. */
const CHUNK_ROWS = 100_000

/**
 * A books table of `books` rows in its own database, migrated by the service's own code so
 * its indexes are the schema's. Rows come from MariaDB's Sequence engine (`seq_1_to_N`) with
 * INSERT … SELECT: no row crosses the wire, which is what keeps 1M rows near a minute.
 * Left in place for the next run when its row count already matches.
 */
export async function prepareSizedDatabase(databaseUrl: string, books: number, log: (line: string) => void): Promise<void> {
  const config = loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' })
  await ensureDatabase(config)
  await runPendingMigrations(config)
  const connection = await mysql.createConnection(connectionOptions(databaseUrl))
  try {
    if (await isSeeded(connection, books)) return
    const started = Date.now()
    await seed(connection, books)
    log(`seeded ${books} books in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  } finally {
    await connection.end()
  }
}

async function isSeeded(connection: mysql.Connection, books: number): Promise<boolean> {
  const [[counts]] = await connection.query<any[]>(
    'SELECT (SELECT COUNT(*) FROM authors) AS authors, (SELECT COUNT(*) FROM books) AS books, (SELECT MAX(id) FROM books) AS maxId'
  )
  return Number(counts.authors) === AUTHORS && Number(counts.books) === books && Number(counts.maxId) === books
}

async function seed(connection: mysql.Connection, books: number): Promise<void> {
  await connection.query('DELETE FROM orders')
  await connection.query('DELETE FROM books')
  await connection.query('DELETE FROM authors')
  await connection.query(`INSERT INTO authors (id, name) SELECT seq, CONCAT('Author ', seq) FROM seq_1_to_${AUTHORS}`)
  // The same rows bench-database.ts writes (titles from ten words, prices spread evenly over
  // 5.00..104.99, authors round-robin), so the two benches' tables read alike.
  const words = `'Tide','Harbour','Lantern','Reef','Current','Shore','Anchor','Gull','Drift','Swell'`
  for (let from = 1; from <= books; from += CHUNK_ROWS) {
    const to = Math.min(books, from + CHUNK_ROWS - 1)
    await connection.query(
      'INSERT INTO books (id, title, isbn, price, stock, authorId, version) ' +
        `SELECT seq, CONCAT(ELT(1 + (seq * 7) % 10, ${words}), ' ', ELT(1 + (seq * 3) % 10, ${words}), ' ', seq), ` +
        `CONCAT('978', LPAD(seq, 10, '0')), 5 + ((seq * 37) % 10000) / 100, ?, 1 + seq % ${AUTHORS}, 1 ` +
        `FROM seq_${from}_to_${to}`,
      [HUGE_STOCK]
    )
  }
  // Fresh statistics, so the optimiser and the planned counts see the table as it now is.
  await connection.query('ANALYZE TABLE authors, books')
}

/** Drops the databases a run made (`--drop`): 1M rows are ~0.5 GB on disk. */
export async function dropSizedDatabases(serverUrl: string, names: string[]): Promise<void> {
  const connection = await mysql.createConnection({ ...connectionOptions(`${serverUrl}/mysql`), database: undefined })
  try {
    for (const name of names) await connection.query(`DROP DATABASE IF EXISTS \`${name}\``)
  } finally {
    await connection.end()
  }
}
