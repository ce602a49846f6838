import createError from '@fastify/error'

/**
 * The coded errors routes raise (src/rest, src/routes). error-problems.ts maps each `code`
 * to a problem type of problem-types.ts; the pool's and the db layer's own errors live in
 * src/pool and src/db, and are mapped in that same table.
 */
export const NotFoundError = createError<[string]>('LG_NOT_FOUND', '%s', 404)
export const BadRequestError = createError<[string]>('LG_BAD_REQUEST', '%s', 400)
export const ConflictError = createError<[string]>('LG_CONFLICT', '%s', 409)
export const PreconditionFailedError = createError<[string]>('LG_PRECONDITION_FAILED', '%s', 412)
/** A write to an entity that requires If-Match came without one. */
export const PreconditionRequiredError = createError<[string]>('LG_PRECONDITION_REQUIRED', '%s', 428)
export const InsufficientStockError = createError<[number, number, number]>(
  'LG_INSUFFICIENT_STOCK',
  'book %s has %s in stock, %s requested',
  409
)
/** A bulk PATCH or DELETE whose filter selects more rows than Prefer: max-affected or REST_BULK_MAX allow. */
export const TooManyRowsError = createError<[string]>('LG_TOO_MANY_ROWS', '%s', 409)
/** An Idempotency-Key sent again with another URL or body (src/idempotency). */
export const IdempotencyKeyReusedError = createError<[string]>('LG_IDEMPOTENCY_KEY_REUSED', '%s', 422)
/** An Idempotency-Key whose first request has no stored answer yet. */
export const IdempotencyKeyInProgressError = createError<[string]>('LG_IDEMPOTENCY_KEY_IN_PROGRESS', '%s', 409)
/** A list offset deeper than REST_MAX_OFFSET: deep pages are read with the cursor, never with OFFSET. */
export const OffsetTooDeepError = createError<[string]>('LG_OFFSET_TOO_DEEP', '%s', 400)
/** A list whose plan would read more rows than REST_MAX_SCAN_ROWS (src/rest/list/scan-bound.ts): the detail names the index or filter that would serve it. */
export const ScanTooLargeError = createError<[string]>('LG_SCAN_TOO_LARGE', '%s', 400)
/** The database cannot be reached or dropped the connection. */
export const DatabaseUnavailableError = createError<[string]>('LG_DATABASE_UNAVAILABLE', '%s', 503)

/** A validation failure carried as problem `errors: [{ path, message }]`. */
export interface FieldError {
  path: string
  message: string
}

export class ValidationFailedError extends Error {
  readonly statusCode = 400
  readonly code = 'LG_VALIDATION_FAILED'
  constructor(
    message: string,
    readonly errors: FieldError[]
  ) {
    super(message)
    this.name = 'ValidationFailedError'
  }
}
