import mysql from 'mysql2/promise'

/**
 * The one thing the three baselines differ in: how a request reaches MariaDB. Routes call
 * `execute` for a single statement and `transaction` for several on one connection.
 */
export interface DatabaseAccess {
  execute<T = any>(sql: string, params: unknown[]): Promise<T>
  transaction<T>(work: (connection: mysql.Connection) => Promise<T>): Promise<T>
  close(): Promise<void>
}

/** Connection settings read from DATABASE_URL, the same variable Lifeguard reads. */
export function connectionOptions(databaseUrl: string): mysql.ConnectionOptions {
  const url = new URL(databaseUrl)
  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)),
    timezone: 'Z',
    // Plain JSON numbers for DECIMAL(10,2), as Lifeguard's money transformer gives.
    decimalNumbers: true
  }
}

async function inTransaction<T>(connection: mysql.Connection, work: (c: mysql.Connection) => Promise<T>) {
  await connection.beginTransaction()
  try {
    const result = await work(connection)
    await connection.commit()
    return result
  } catch (err) {
    await connection.rollback()
    throw err
  }
}

/** (a) The ceiling: one mysql2 pool, prepared statements through `pool.execute`. */
export function pooled(databaseUrl: string, poolSize: number): DatabaseAccess {
  const pool = mysql.createPool({ ...connectionOptions(databaseUrl), connectionLimit: poolSize, maxIdle: poolSize })
  return {
    execute: async (sql, params) => (await pool.execute(sql, params as any[]))[0] as any,
    transaction: async (work) => {
      const connection = await pool.getConnection()
      try {
        return await inTransaction(connection, work)
      } finally {
        connection.release()
      }
    },
    close: () => pool.end()
  }
}

/** (b) The anti-pattern "connect per request": every statement pays a full MySQL handshake. */
export function connectionPerRequest(databaseUrl: string): DatabaseAccess {
  const withConnection = async <T>(work: (c: mysql.Connection) => Promise<T>) => {
    const connection = await mysql.createConnection(connectionOptions(databaseUrl))
    try {
      return await work(connection)
    } finally {
      await connection.end()
    }
  }
  return {
    execute: (sql, params) => withConnection(async (c) => (await c.execute(sql, params as any[]))[0] as any),
    transaction: (work) => withConnection((c) => inTransaction(c, work)),
    close: async () => {}
  }
}

/**
 * (c) The anti-pattern "one global connection": mysql2 queues every statement behind the
 * one before it. A transaction must also shut every other request out until it ends, or
 * their statements would run inside it; `idle` is that gate.
 */
export async function singleConnection(databaseUrl: string): Promise<DatabaseAccess> {
  const connection = await mysql.createConnection(connectionOptions(databaseUrl))
  let idle: Promise<unknown> = Promise.resolve()
  return {
    // Chained with `then` (not awaited first) so a statement is queued in the order it arrived
    // relative to a transaction's BEGIN.
    execute: (sql, params) => idle.then(async () => (await connection.execute(sql, params as any[]))[0] as any),
    transaction: (work) => {
      const run = idle.then(() => inTransaction(connection, work))
      idle = run.catch(() => undefined)
      return run
    },
    close: () => connection.end()
  }
}
