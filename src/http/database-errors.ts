import { isConnectionError, isReadOnlyError } from '../pool/connection-errors'
import { driverErrorOf, type DriverErrorShape } from '../db/driver-error'
import type { ProblemSlug } from './problem-types'
import type { SchemaNames } from './schema-names'

/**
 * MySQL/MariaDB errors (raw mysql2 errors or TypeORM's QueryFailedError wrapping one) as the
 * problem an API client should see: the one table from error number to problem type. This is
 * the second line of defence behind schema validation, so a value that slipped through
 * (a number out of a column's range, a string too long) is still a 400 and not a 500.
 * A detail may name a key, a column or a constraint, never a value: messages quote the
 * offending value ("Duplicate entry 'x' for key …"), and it may be someone's secret.
 */
export interface MappedDatabaseError {
  slug: ProblemSlug
  detail: string
  retryAfterSeconds?: number
}

/** undefined: this error number is not one a client can act on after all (a 500). */
type Mapper = (error: DriverErrorShape, names: SchemaNames | undefined) => MappedDatabaseError | undefined

const RETRY_SOON = 1

const invalidValue =
  (what: (name: string, message: string) => string): Mapper =>
  (error, names) => {
    const message = messageOf(error)
    return { slug: 'invalid-value', detail: what(columnName(error, names) ?? 'a column', message) }
  }

const checkFailed: Mapper = (error) => {
  const constraint = constraintOf(messageOf(error))
  return { slug: 'constraint-violated', detail: `the row breaks the check constraint ${constraint ?? 'of its table'}` }
}

/** By error number (the same on MySQL and MariaDB unless noted). */
const BY_ERRNO: Readonly<Record<number, Mapper>> = {
  1062: (error, names) => ({ slug: 'duplicate', detail: duplicateDetail(error, names) }),
  1451: () => ({ slug: 'referenced', detail: 'the row is still referenced by other rows' }),
  1452: () => ({ slug: 'missing-reference', detail: 'a referenced row does not exist' }),
  1264: invalidValue((name) => `the value for ${name} is out of range`),
  1265: invalidValue((name) => `the value for ${name} does not fit its column (data truncated)`),
  1366: invalidValue((name, message) => `the value for ${name} is not a valid ${sqlTypeOf(message) ?? 'value'}`),
  1406: invalidValue((name) => `the value for ${name} is too long`),
  1292: invalidValue((name, message) => `the value for ${name} is not a valid ${sqlTypeOf(message) ?? 'date or time'}`),
  1048: invalidValue((name) => `${name} cannot be null`),
  1364: invalidValue((name) => `${name} is required: its column has no default`),
  4025: checkFailed, // MariaDB ER_CONSTRAINT_FAILED
  3819: checkFailed, // MySQL ER_CHECK_CONSTRAINT_VIOLATED
  1461: () => ({
    slug: 'database-busy',
    detail: 'the database cannot prepare more statements right now; retry the request',
    retryAfterSeconds: RETRY_SOON
  }),
  1205: lockConflict,
  1213: lockConflict,
  // ER_UNKNOWN_COM_ERROR: what a Galera node outside the primary component (no quorum) answers
  // every statement on a table with ("WSREP has not yet prepared node for application use").
  // Other 1047s (a proxy refusing a protocol command) will not pass by retrying: those stay a 500.
  1047: (error) =>
    /WSREP/i.test(messageOf(error))
      ? { slug: 'database-unavailable', detail: 'the database node is not ready for queries (a Galera node without quorum); retry the request', retryAfterSeconds: RETRY_SOON }
      : undefined,
  1969: statementTimeout, // MariaDB ER_STATEMENT_TIMEOUT
  3024: statementTimeout // MySQL ER_QUERY_TIMEOUT
}

function lockConflict(): MappedDatabaseError {
  return { slug: 'lock-conflict', detail: 'the database could not get a lock in time; retry the request', retryAfterSeconds: RETRY_SOON }
}

function statementTimeout(): MappedDatabaseError {
  return { slug: 'statement-timeout', detail: 'the query ran longer than the statement timeout', retryAfterSeconds: RETRY_SOON }
}

/** undefined for errors that are not the driver's, or that no client can act on (those are a 500). */
export function mapDatabaseError(err: unknown, names?: SchemaNames): MappedDatabaseError | undefined {
  const driverError = driverErrorOf(err)
  if (!driverError) return undefined
  const mapper = driverError.errno === undefined ? undefined : BY_ERRNO[driverError.errno]
  const mapped = mapper?.(driverError, names)
  if (mapped) return mapped
  if (isReadOnlyError(driverError)) {
    // A failover in progress: the pool has replaced its connections, and a retry reaches the new primary.
    return { slug: 'database-unavailable', detail: 'the database is read-only right now (a failover?); retry the request', retryAfterSeconds: RETRY_SOON }
  }
  if (isConnectionError(driverError)) {
    return { slug: 'database-unavailable', detail: 'the database is unavailable; retry the request', retryAfterSeconds: RETRY_SOON }
  }
  return undefined
}

function messageOf(error: DriverErrorShape): string {
  return error.sqlMessage ?? (error as { message?: string }).message ?? ''
}

/** The unique key a duplicate-key error (1062) names, and its table when the message or the statement says. */
export function duplicateKeyOf(err: unknown): { key: string; table?: string } | undefined {
  const error = driverErrorOf(err)
  if (error?.errno !== 1062) return undefined
  // Greedy up to the last "for key": the value before it may itself contain quotes.
  const key = /for key '([^']+)'\s*$/.exec(messageOf(error))?.[1]
  if (!key) return undefined
  // MySQL 8 says 'books.UQ_books_isbn', MariaDB just 'UQ_books_isbn'.
  const dot = key.indexOf('.')
  return dot > 0 ? { table: key.slice(0, dot), key: key.slice(dot + 1) } : { table: tableOfStatement(error.sql), key }
}

function duplicateDetail(error: DriverErrorShape, names: SchemaNames | undefined): string {
  const named = duplicateKeyOf(error)
  if (!named) return 'a row with the same unique value already exists'
  const { table, key: keyName } = named
  const resolved = names?.uniqueKey(keyName, table) ?? names?.uniqueKey(keyName)
  if (resolved) return `another ${resolved.entity} already has this ${resolved.properties.join(' and ')}`
  if (keyName === 'PRIMARY') return 'another row already has this primary key'
  return `another row already has this value for the unique key ${keyName}`
}

/** The column a data error names, as the entity property when the metadata knows it. */
function columnName(error: DriverErrorShape, names: SchemaNames | undefined): string | undefined {
  const message = messageOf(error)
  let table: string | undefined
  let column: string | undefined
  // MariaDB: for column `db`.`table`.`column` at row 1 (the last "for column": values come before it)
  const qualified = /[\s\S]*for column ((?:`[^`]*`\.?)+) at row/.exec(message)
  if (qualified) {
    const parts = [...qualified[1].matchAll(/`([^`]*)`/g)].map((m) => m[1])
    column = parts.at(-1)
    table = parts.length > 1 ? parts.at(-2) : undefined
  } else {
    column =
      /[\s\S]*for column '([^']+)'/.exec(message)?.[1] ??
      /^Column '([^']+)' cannot be null/.exec(message)?.[1] ??
      /^Field '([^']+)' doesn't have a default value/.exec(message)?.[1]
  }
  if (column === undefined) return undefined
  table ??= tableOfStatement(error.sql)
  return names?.property(column, table) ?? column
}

/** "Incorrect integer value: …" -> "integer"; "Truncated incorrect DOUBLE value: …" -> "DOUBLE". */
function sqlTypeOf(message: string): string | undefined {
  return /^(?:Truncated )?[Ii]ncorrect (\w+) value/.exec(message)?.[1]
}

function constraintOf(message: string): string | undefined {
  return /CONSTRAINT `([^`]+)` failed/.exec(message)?.[1] ?? /[Cc]heck constraint '([^']+)' is violated/.exec(message)?.[1]
}

const IDENTIFIER = String.raw`(?:\x60[^\x60]+\x60|[\w$]+)`
const WRITE_TARGET = new RegExp(
  String.raw`^\s*(?:INSERT|REPLACE|UPDATE)\s+(?:(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE)\s+)*(?:INTO\s+)?(${IDENTIFIER}(?:\.${IDENTIFIER})?)`,
  'i'
)

/** The table an INSERT/REPLACE/UPDATE writes to: only to look names up, never to report the SQL. */
function tableOfStatement(sql: string | undefined): string | undefined {
  const target = sql === undefined ? undefined : WRITE_TARGET.exec(sql)?.[1]
  return target?.split('.').at(-1)?.replace(/`/g, '')
}
