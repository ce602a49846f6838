import createError from '@fastify/error'

/**
 * Why the pool refused a borrow. The names are the `reason` label of the pool's timeout
 * counter (pool-totals.ts), so a refusal in the log and in /metrics read the same.
 */
export type PoolRefusalReason = 'acquire_timeout' | 'queue_full' | 'closed'

/**
 * The pool's own errors. They share one code, LG_POOL_UNAVAILABLE, because to a caller they
 * mean the same thing (no connection now, try again soon); `reason` tells them apart.
 * The 503 is @fastify/error's status convention; src/http decides the response.
 */
const PoolUnavailable = createError<[string]>('LG_POOL_UNAVAILABLE', '%s', 503)

/**
 * One second for every refusal: a pool under load frees connections within milliseconds, so a
 * short, fixed hint spreads retries without parking clients for a whole acquire timeout.
 */
export const RETRY_AFTER_SECONDS = 1

export class PoolUnavailableError extends PoolUnavailable {
  constructor(
    readonly reason: PoolRefusalReason,
    message: string,
    /** How long a client should wait before retrying: the hint for an HTTP Retry-After. */
    readonly retryAfterSeconds: number
  ) {
    super(message)
  }
}

/** No connection became free before the waiter's deadline. */
export function acquireTimeoutError(acquireTimeoutMs: number): PoolUnavailableError {
  return new PoolUnavailableError(
    'acquire_timeout',
    `no database connection became available within ${acquireTimeoutMs} ms`,
    RETRY_AFTER_SECONDS
  )
}

/** The wait queue is full: refused at once, without waiting for a deadline. */
export function queueFullError(queueLimit: number): PoolUnavailableError {
  return new PoolUnavailableError('queue_full', `${queueLimit} requests are already waiting for a database connection`, RETRY_AFTER_SECONDS)
}

/** The pool is closed (the service is shutting down): another instance may answer a retry. */
export function poolClosedError(): PoolUnavailableError {
  return new PoolUnavailableError('closed', 'the connection pool is closed', RETRY_AFTER_SECONDS)
}

const StatementDeadline = createError<[number]>(
  'LG_STATEMENT_DEADLINE',
  'the database did not answer the statement within %d ms; its connection was closed',
  503
)

/**
 * A statement got no answer within the client-side deadline (a frozen or unreachable server).
 * Not a PoolUnavailableError: the statement was sent, and a write may still be applied if the
 * server wakes before its query is killed.
 */
export class StatementDeadlineError extends StatementDeadline {
  readonly retryAfterSeconds = RETRY_AFTER_SECONDS
  constructor(deadlineMs: number) {
    super(deadlineMs)
  }
}

const BorrowerGone = createError<[string]>('LG_BORROWER_GONE', '%s', 499)

/**
 * Whoever borrowed went away (a client that hung up; see PoolGuard.abandon): its borrow still
 * waiting in the queue was cancelled, or its statement was killed on the server. 499 is
 * nginx's "client closed request": nobody is left to read the answer.
 */
export class BorrowerGoneError extends BorrowerGone {
  constructor(readonly stage: 'queued' | 'running') {
    super(
      stage === 'queued'
        ? 'the borrower went away while waiting for a database connection; its borrow was cancelled'
        : 'the borrower went away while its statement ran; the statement was killed'
    )
  }
}
