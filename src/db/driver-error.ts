/**
 * The mysql2 error behind a failure, whether it arrives raw (the fast paths call mysql2
 * directly) or wrapped in TypeORM's QueryFailedError (`driverError`). The db layer reads it
 * to decide on retries; src/http reads it to choose a response.
 */
export interface DriverErrorShape {
  errno?: number
  code?: string
  fatal?: boolean
  sqlState?: string
  /** The server's message, e.g. "Duplicate entry '…' for key 'UQ_books_isbn'": may quote values. */
  sqlMessage?: string
  /** The statement as mysql2 sent it: with `query()` the bound values are formatted in. */
  sql?: string
}

export function driverErrorOf(err: unknown): DriverErrorShape | undefined {
  if (!err || typeof err !== 'object') return undefined
  const candidate = (err as { driverError?: DriverErrorShape }).driverError ?? (err as DriverErrorShape)
  // mysql2's "Can't add new command when connection is in closed state" carries only `fatal`.
  return candidate.errno !== undefined || candidate.code !== undefined || candidate.fatal === true ? candidate : undefined
}
