/**
 * Which driver errors mean "this connection is dead" (destroy it, maybe retry elsewhere)
 * as opposed to "this statement failed" (the connection is fine).
 */
export const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN', // 1053: the server is shutting down
  'ER_NORMAL_SHUTDOWN',
  'ER_SHUTDOWN_COMPLETE',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_CONNECTION_KILLED', // MariaDB 1927: KILL CONNECTION while a statement ran
  'ER_CLIENT_INTERACTION_TIMEOUT' // MySQL 8.0.24+: closed after wait_timeout
])

/** MariaDB error numbers mysql2 has no code name for, but that matter here. */
const MARIADB_ERROR_NAMES: Readonly<Record<number, string>> = {
  1927: 'ER_CONNECTION_KILLED',
  1969: 'ER_STATEMENT_TIMEOUT'
}

interface DriverErrorLike {
  code?: unknown
  errno?: unknown
  fatal?: unknown
}

/** The error's driver code, named even when mysql2 only knows the MariaDB error number. */
export function errorCodeOf(err: unknown): string {
  if (!err || typeof err !== 'object') return 'UNKNOWN'
  const { code, errno } = err as DriverErrorLike
  if (typeof code === 'string') return code
  if (typeof errno === 'number') return MARIADB_ERROR_NAMES[errno] ?? `ERRNO_${errno}`
  return 'UNKNOWN'
}

/** A connection-level failure: mysql2 marks those `fatal`, or the code says the link is gone. */
export function isConnectionError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false
  return (err as DriverErrorLike).fatal === true || CONNECTION_ERROR_CODES.has(errorCodeOf(err))
}

const READ_STATEMENT = /^\s*(?:\/\*[\s\S]*?\*\/\s*)*\(?\s*(?:SELECT|SHOW|DESCRIBE|DESC|EXPLAIN|WITH)\b/i
const LOCKING_OR_WRITING = /\bFOR\s+UPDATE\b|\bFOR\s+SHARE\b|\bLOCK\s+IN\s+SHARE\s+MODE\b|\bINTO\s+(?:@|OUTFILE|DUMPFILE)/i
/**
 * What a read can only answer on the session it ran on: user locks (GET_LOCK takes one),
 * the last insert's id and counts, the session's id, user variables. Crude on purpose: an `@`
 * inside a string literal also counts, which costs a retry, never a wrong answer.
 */
const SESSION_DEPENDENT = /\b(?:GET_LOCK|RELEASE_LOCK|RELEASE_ALL_LOCKS|IS_USED_LOCK|IS_FREE_LOCK|LAST_INSERT_ID|FOUND_ROWS|ROW_COUNT|CONNECTION_ID)\s*\(|@/i

/**
 * A statement safe to run a second time on another connection: a plain read that needs nothing
 * of its session. Locking reads only make sense inside a transaction, anything that writes
 * might have been applied, and a temporary table exists only on its own session (reading one
 * through a one-shot borrow is already a caller's bug).
 */
export function isRetryableRead(sql: string | undefined): boolean {
  return sql !== undefined && READ_STATEMENT.test(sql) && !LOCKING_OR_WRITING.test(sql) && !SESSION_DEPENDENT.test(sql)
}

/**
 * The server refuses writes because it is read-only: a primary demoted in a failover (MariaDB's
 * and MySQL's 1290 for --read-only, MySQL's 1836 ER_READ_ONLY_MODE and super_read_only). 1290 is
 * shared by other server options, so its message decides. Every connection to that server is
 * then useless for writes, while the name it was reached by may already lead to the new primary.
 */
export function isReadOnlyError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false
  const { errno, sqlMessage, message } = err as DriverErrorLike & { sqlMessage?: string; message?: string }
  if (errno === 1836) return true
  return errno === 1290 && /read[-_ ]only/i.test(sqlMessage ?? message ?? '')
}

/** The SQL text of whatever mysql2's query()/execute() accept as first argument. */
export function sqlTextOf(statement: unknown): string | undefined {
  if (typeof statement === 'string') return statement
  if (statement && typeof statement === 'object' && typeof (statement as { sql?: unknown }).sql === 'string') {
    return (statement as { sql: string }).sql
  }
  return undefined
}
