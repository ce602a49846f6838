import { isConnectionError } from '../pool/connection-errors'

/**
 * Maps MySQL/MariaDB errors (raw mysql2 errors or TypeORM's QueryFailedError wrapping one)
 * to what an API client should see. Details never carry SQL, values or credentials.
 */
export interface MappedDatabaseError {
  statusCode: number
  code: string
  detail: string
  retryAfterSeconds?: number
}

interface DriverErrorShape {
  errno?: number
  code?: string
  fatal?: boolean
}

export function driverErrorOf(err: unknown): DriverErrorShape | undefined {
  if (!err || typeof err !== 'object') return undefined
  const candidate = (err as { driverError?: DriverErrorShape }).driverError ?? (err as DriverErrorShape)
  // mysql2's "Can't add new command when connection is in closed state" carries only `fatal`.
  return candidate.errno !== undefined || candidate.code !== undefined || candidate.fatal === true ? candidate : undefined
}

export function mapDatabaseError(err: unknown): MappedDatabaseError | undefined {
  const driverError = driverErrorOf(err)
  if (!driverError) return undefined
  switch (driverError.errno) {
    case 1062:
      return { statusCode: 409, code: 'LG_DUPLICATE', detail: 'a row with the same unique value already exists' }
    case 1451:
      return { statusCode: 409, code: 'LG_REFERENCED', detail: 'the row is still referenced by other rows' }
    case 1452:
      return { statusCode: 409, code: 'LG_MISSING_REFERENCE', detail: 'a referenced row does not exist' }
    case 1205:
    case 1213:
      return {
        statusCode: 503,
        code: 'LG_LOCK_CONFLICT',
        detail: 'the database could not get a lock in time; retry the request',
        retryAfterSeconds: 1
      }
    case 1969: // MariaDB ER_STATEMENT_TIMEOUT
    case 3024: // MySQL ER_QUERY_TIMEOUT
      return {
        statusCode: 503,
        code: 'LG_STATEMENT_TIMEOUT',
        detail: 'the query ran longer than the statement timeout',
        retryAfterSeconds: 1
      }
  }
  if (isConnectionError(driverError)) {
    return {
      statusCode: 503,
      code: 'LG_DATABASE_UNAVAILABLE',
      detail: 'the database is unavailable; retry the request',
      retryAfterSeconds: 1
    }
  }
  return undefined
}
