// What the database server itself reports for one test database, read over an admin connection.
import type { Connection } from 'mysql2/promise'

/** Connections the server holds for one database: what the app's pool really has open. */
export async function serverConnections(admin: Connection, database: string): Promise<number> {
  const [rows] = await admin.query('SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = ?', [database])
  return Number((rows as Array<{ n: number }>)[0].n)
}

/** Transactions still open on the server for one database. */
export async function openTransactions(admin: Connection, database: string): Promise<number> {
  const [rows] = await admin.query(
    `SELECT COUNT(*) AS n FROM information_schema.innodb_trx trx
       JOIN information_schema.processlist p ON p.id = trx.trx_mysql_thread_id
      WHERE p.db = ?`,
    [database]
  )
  return Number((rows as Array<{ n: number }>)[0].n)
}

/** Statements still running on the server for one database (not counting idle sessions). */
export async function runningStatements(admin: Connection, database: string): Promise<string[]> {
  const [rows] = await admin.query(
    "SELECT info FROM information_schema.processlist WHERE db = ? AND command = 'Query'",
    [database]
  )
  return (rows as Array<{ info: string }>).map((row) => row.info)
}
