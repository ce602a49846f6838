import mysql from 'mysql2'

/** Runs one prepared statement; resolves to its rows (or its result header for writes). */
export type Execute = <T = any>(sql: string, params: unknown[]) => Promise<T>

/**
 * The one thing the three baselines differ in: how a request reaches MariaDB. Routes call
 * `execute` for a single statement and `transaction` for several on one connection.
 *
 * mysql2 is used through its callback API, the same calls Lifeguard's read path makes:
 * `mysql2/promise` captures a stack trace for every statement (mysql2's capture_local_err),
 * which costs ~8% of a one-row request in our profiles and would lower the ceiling.
 */
export interface DatabaseAccess {
  execute: Execute
  transaction<T>(work: (execute: Execute) => Promise<T>): Promise<T>
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

type Executor = Pick<mysql.Connection, 'execute'>

function executeOn(target: Executor): Execute {
  return (sql, params) =>
    new Promise((resolve, reject) => {
      target.execute(sql, params as any[], (err: Error | null, rows: any) => (err ? reject(err) : resolve(rows)))
    })
}

function command(connection: mysql.Connection, sql: string): Promise<void> {
  return new Promise((resolve, reject) => connection.query(sql, (err) => (err ? reject(err) : resolve())))
}

async function inTransaction<T>(connection: mysql.Connection, work: (execute: Execute) => Promise<T>): Promise<T> {
  await command(connection, 'START TRANSACTION')
  try {
    const result = await work(executeOn(connection))
    await command(connection, 'COMMIT')
    return result
  } catch (err) {
    await command(connection, 'ROLLBACK')
    throw err
  }
}

function connect(databaseUrl: string): Promise<mysql.Connection> {
  return new Promise((resolve, reject) => {
    const connection = mysql.createConnection(connectionOptions(databaseUrl))
    connection.connect((err) => (err ? reject(err) : resolve(connection)))
  })
}

function end(connection: mysql.Connection | mysql.Pool): Promise<void> {
  return new Promise((resolve, reject) => connection.end((err: unknown) => (err ? reject(err) : resolve())))
}

/** (a) The ceiling: one mysql2 pool, prepared statements through `pool.execute`. */
export function pooled(databaseUrl: string, poolSize: number): DatabaseAccess {
  const pool = mysql.createPool({ ...connectionOptions(databaseUrl), connectionLimit: poolSize, maxIdle: poolSize })
  return {
    execute: executeOn(pool),
    transaction: async (work) => {
      const connection = await new Promise<mysql.PoolConnection>((resolve, reject) =>
        pool.getConnection((err, borrowed) => (err ? reject(err) : resolve(borrowed)))
      )
      try {
        return await inTransaction(connection, work)
      } finally {
        connection.release()
      }
    },
    close: () => end(pool)
  }
}

/** (b) The anti-pattern "connect per request": every statement pays a full MySQL handshake. */
export function connectionPerRequest(databaseUrl: string): DatabaseAccess {
  const withConnection = async <T>(work: (connection: mysql.Connection) => Promise<T>) => {
    const connection = await connect(databaseUrl)
    try {
      return await work(connection)
    } finally {
      await end(connection)
    }
  }
  return {
    execute: (sql, params) => withConnection((connection) => executeOn(connection)(sql, params)),
    transaction: (work) => withConnection((connection) => inTransaction(connection, work)),
    close: async () => {}
  }
}

/**
 * (c) The anti-pattern "one global connection": mysql2 queues every statement behind the
 * one before it. A transaction must also shut every other request out until it ends, or
 * their statements would run inside it; `idle` is that gate.
 */
export async function singleConnection(databaseUrl: string): Promise<DatabaseAccess> {
  const connection = await connect(databaseUrl)
  const execute = executeOn(connection)
  let idle: Promise<unknown> = Promise.resolve()
  return {
    // Chained with `then` (not awaited first) so a statement is queued in the order it arrived
    // relative to a transaction's BEGIN.
    execute: (sql, params) => idle.then(() => execute(sql, params)),
    transaction: (work) => {
      const run = idle.then(() => inTransaction(connection, work))
      idle = run.catch(() => undefined)
      return run
    },
    close: () => end(connection)
  }
}
