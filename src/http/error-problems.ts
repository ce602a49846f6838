import type { FieldError } from './errors'
import { mapDatabaseError } from './database-errors'
import { genericClientSlug, type ProblemSlug } from './problem-types'
import type { SchemaNames } from './schema-names'

/**
 * The one table from a raised error to its problem: Lifeguard's coded errors (whichever
 * layer raises them: http, rest, routes, db, pool), Fastify's own, then the driver's
 * (database-errors.ts), then any other 4xx by status. Anything else is `internal`.
 */
const BY_CODE: Readonly<Record<string, ProblemSlug>> = {
  // src/http/errors.ts (raised by src/rest and src/routes)
  LG_VALIDATION_FAILED: 'validation-failed',
  LG_NOT_FOUND: 'not-found',
  LG_BAD_REQUEST: 'bad-request',
  LG_OFFSET_TOO_DEEP: 'offset-too-deep',
  LG_SCAN_TOO_LARGE: 'scan-too-large',
  LG_TOO_MANY_ROWS: 'too-many-rows',
  LG_IDEMPOTENCY_KEY_REUSED: 'idempotency-key-reused',
  LG_IDEMPOTENCY_KEY_IN_PROGRESS: 'idempotency-key-in-progress',
  LG_CONFLICT: 'conflict',
  LG_PRECONDITION_FAILED: 'precondition-failed',
  LG_PRECONDITION_REQUIRED: 'precondition-required',
  LG_INSUFFICIENT_STOCK: 'insufficient-stock',
  LG_DATABASE_UNAVAILABLE: 'database-unavailable',
  // src/pool/pool-errors.ts: acquire timeout, full queue, closed pool
  LG_POOL_UNAVAILABLE: 'pool-unavailable',
  LG_STATEMENT_DEADLINE: 'statement-timeout',
  // src/pool/pool-errors.ts: the borrower (its client) went away
  LG_BORROWER_GONE: 'client-closed-request',
  // src/auth/: authentication and the entities' rules
  LG_UNAUTHENTICATED: 'unauthorized',
  LG_FORBIDDEN: 'forbidden',
  LG_AUTHENTICATION_UNAVAILABLE: 'authentication-unavailable',
  // src/db/request-transaction.ts
  LG_CLIENT_CLOSED_REQUEST: 'client-closed-request',
  // Fastify's body parsing and routing
  FST_ERR_CTP_BODY_TOO_LARGE: 'body-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid-body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid-body',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid-body',
  FST_ERR_ROUTE_MISSING_CONTENT: 'invalid-body',
  FST_ERR_ROUTE_MISSING_CONTENT_TYPE: 'unsupported-media-type',
  FST_ERR_BAD_URL: 'bad-url',
  FST_ERR_INVALID_URL: 'bad-url',
  FST_ERR_MAX_PARAM_LENGTH: 'uri-too-long',
  FST_ERR_NOT_FOUND: 'route-not-found'
}

export interface ErrorProblem {
  slug: ProblemSlug
  detail: string
  /** The raised status, kept for `client-error` only (problem-types.ts fixes every other). */
  status?: number
  errors?: FieldError[]
  retryAfterSeconds?: number
  /** WWW-Authenticate of a 401 (src/auth/errors.ts). */
  challenge?: string
  /** How it was recognised: decides how it is logged. */
  source: 'validation' | 'coded' | 'database' | 'client' | 'internal'
}

type RaisedError = Error & {
  code?: unknown
  statusCode?: unknown
  validation?: unknown
  validationContext?: string
  errors?: unknown
  retryAfterSeconds?: unknown
  challenge?: unknown
}

type AjvError = {
  instancePath: string
  keyword?: string
  message?: string
  params?: Record<string, unknown>
  /** With ajv's `verbose` (src/http/validation.ts): the schema the failing keyword sits in. */
  parentSchema?: { 'x-hints'?: Record<string, string> }
}

export const INTERNAL_DETAIL = 'an unexpected error occurred; it has been logged'

export function problemForError(error: RaisedError, names?: SchemaNames): ErrorProblem {
  if (Array.isArray(error.validation)) {
    const errors = fieldErrors(error.validationContext, error.validation as AjvError[])
    return { slug: 'validation-failed', detail: errors.map((e) => `${e.path} ${e.message}`).join('; '), errors, source: 'validation' }
  }
  const coded = typeof error.code === 'string' ? BY_CODE[error.code] : undefined
  if (coded) {
    return {
      slug: coded,
      detail: error.message,
      errors: Array.isArray(error.errors) ? (error.errors as FieldError[]) : undefined,
      retryAfterSeconds: typeof error.retryAfterSeconds === 'number' ? error.retryAfterSeconds : undefined,
      challenge: typeof error.challenge === 'string' ? error.challenge : undefined,
      source: 'coded'
    }
  }
  const database = mapDatabaseError(error, names)
  if (database) return { ...database, source: 'database' }
  const status = typeof error.statusCode === 'number' ? error.statusCode : 500
  if (status >= 400 && status < 500) {
    return { slug: genericClientSlug(status), status, detail: error.message, source: 'client' }
  }
  return { slug: 'internal', detail: INTERNAL_DETAIL, source: 'internal' }
}

/** Turns Fastify/ajv validation output into `[{ path, message }]`, path like `body.price`. */
export function fieldErrors(context: string | undefined, validation: AjvError[]): FieldError[] {
  return withoutOtherBranches(validation).map((error) => {
    const segments = [context ?? 'request', ...error.instancePath.split('/').filter(Boolean)]
    const named = error.params?.additionalProperty ?? error.params?.missingProperty
    if (typeof named === 'string') segments.push(named)
    return { path: segments.join('.'), message: messageOf(error) }
  })
}

/**
 * A value that may be one of several types (`oneOf`: POST takes a row or an array of rows)
 * fails every branch; only the branch of the value's own type explains what is wrong with it,
 * so the other branches' type mismatches and the `oneOf` summary are dropped. A value of no
 * branch's type keeps them all: each says a type it could have been.
 */
function withoutOtherBranches(validation: AjvError[]): AjvError[] {
  const choices = new Set(validation.filter((error) => error.keyword === 'oneOf').map((error) => error.instancePath))
  if (choices.size === 0) return validation
  const kept = validation.filter((error) => error.keyword !== 'oneOf' && !(error.keyword === 'type' && choices.has(error.instancePath)))
  return kept.length > 0 ? kept : validation.filter((error) => error.keyword !== 'oneOf')
}

/** ajv's message, said so that it tells the client how to fix the request. */
function messageOf(error: AjvError): string {
  const params = error.params ?? {}
  if (typeof params.additionalProperty === 'string') {
    // A schema may say what is allowed instead, by key prefix (the list grammar does: src/rest/list/grammar.ts).
    const hints = error.parentSchema?.['x-hints'] ?? {}
    const prefix = Object.keys(hints)
      .filter((candidate) => params.additionalProperty!.toString().startsWith(candidate))
      .sort((a, b) => b.length - a.length)[0]
    return prefix === undefined ? 'is not allowed' : `is not allowed; ${hints[prefix]}`
  }
  if (Array.isArray(params.allowedValues)) return `must be one of: ${params.allowedValues.map(String).join(', ')}`
  if (error.keyword === 'type' && (typeof params.type === 'string' || Array.isArray(params.type))) {
    return `must be ${String(params.type).split(',').join(' or ')}`
  }
  return error.message ?? 'is invalid'
}
