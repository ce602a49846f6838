import createError from '@fastify/error'

/**
 * Lifeguard's coded errors. Each becomes an RFC 9457 problem+json response in
 * problem-handler.ts; `code` is stable and is the last segment of the problem `type`.
 */
export const NotFoundError = createError<[string]>('LG_NOT_FOUND', '%s', 404)
export const BadRequestError = createError<[string]>('LG_BAD_REQUEST', '%s', 400)
export const ConflictError = createError<[string]>('LG_CONFLICT', '%s', 409)
export const PreconditionFailedError = createError<[string]>('LG_PRECONDITION_FAILED', '%s', 412)
export const InsufficientStockError = createError<[number, number, number]>(
  'LG_INSUFFICIENT_STOCK',
  'book %s has %s in stock, %s requested',
  409
)
/** The pool could not lend a connection in time (or its wait queue is full): retry later. */
export const PoolUnavailableError = createError<[string]>('LG_POOL_UNAVAILABLE', '%s', 503)
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
