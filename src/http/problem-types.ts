/**
 * Lifeguard's problem vocabulary: every `type` an error response can carry, as
 * `https://lifeguard.dev/problems/<slug>`. The slugs are Lifeguard's own and stable; they are
 * never derived from Fastify's or the driver's error codes, which change between versions and
 * would leak implementation details. docs/rest.md ("Errors") documents this same table.
 */
export const PROBLEM_TYPE_BASE = 'https://lifeguard.dev/problems/'

interface ProblemType {
  status: number
  /** One line: when a client sees it. */
  meaning: string
}

export const PROBLEM_TYPES = {
  // 400
  'validation-failed': { status: 400, meaning: 'a parameter, query key or body field fails the route schema; errors[] names each' },
  'invalid-body': { status: 400, meaning: 'the body is empty or not JSON, or its size does not match Content-Length' },
  'bad-url': { status: 400, meaning: 'the URL is not valid percent-encoding' },
  'invalid-value': { status: 400, meaning: 'the database rejected a value for a column (range, length, type, NULL, no default)' },
  'malformed-request': { status: 400, meaning: 'the HTTP request could not be parsed; the connection is closed' },
  'too-many-query-parameters': { status: 400, meaning: 'the query string has more parameters than HTTP_MAX_QUERY_PARAMETERS' },
  'offset-too-deep': { status: 400, meaning: 'a list offset beyond REST_MAX_OFFSET; follow the Link rel="next" cursor instead' },
  'scan-too-large': { status: 400, meaning: 'a list whose plan would read more rows than REST_MAX_SCAN_ROWS; detail names the field to index, the filter to add or the count to ask for' },
  'bad-request': { status: 400, meaning: 'any other 400' },
  // 401, 403 (src/auth/, docs/security.md)
  unauthorized: { status: 401, meaning: 'the route needs a token and none was sent, or the Bearer token does not verify; WWW-Authenticate says which' },
  forbidden: { status: 403, meaning: 'the token is valid but its roles may not do this operation, or read or write a named field' },
  // 404, 405
  'not-found': { status: 404, meaning: 'no row with that id' },
  'route-not-found': { status: 404, meaning: 'no route has this path' },
  'method-not-allowed': { status: 405, meaning: 'the path exists but not with this method; Allow lists the methods' },
  'not-acceptable': { status: 406, meaning: 'no representation matches Accept' },
  'request-timeout': { status: 408, meaning: 'the request did not arrive in time' },
  // 409
  duplicate: { status: 409, meaning: 'a unique key is taken (MySQL 1062); detail names its properties' },
  referenced: { status: 409, meaning: 'the row is still referenced by other rows (1451)' },
  'missing-reference': { status: 409, meaning: 'a foreign key names a row that does not exist (1452)' },
  'insufficient-stock': { status: 409, meaning: 'an order asks for more copies than are in stock' },
  'idempotency-key-in-progress': { status: 409, meaning: 'a request with this Idempotency-Key has no stored answer yet' },
  'too-many-rows': { status: 409, meaning: 'a PATCH or DELETE on a collection selects more rows than Prefer: max-affected (or REST_BULK_MAX) allows; nothing was changed' },
  conflict: { status: 409, meaning: 'any other conflict with the current state' },
  // 412, 428
  'precondition-failed': { status: 412, meaning: 'If-Match does not match the current ETag' },
  'precondition-required': { status: 428, meaning: 'the entity requires If-Match on writes (reserved)' },
  // 413, 414, 415
  'body-too-large': { status: 413, meaning: 'the body is larger than the body limit' },
  'uri-too-long': { status: 414, meaning: 'the URL or one of its path parameters is too long' },
  'unsupported-media-type': { status: 415, meaning: 'no parser for the Content-Type' },
  // 421, 422
  'host-not-allowed': { status: 421, meaning: 'the Host header names a host this server does not answer for (ALLOWED_HOSTS)' },
  'idempotency-key-reused': { status: 422, meaning: 'the Idempotency-Key was first sent with another URL or body to this route' },
  'constraint-violated': { status: 422, meaning: 'the row breaks a CHECK constraint (MariaDB 4025, MySQL 3819)' },
  // 429, 431, 499
  'too-many-requests': { status: 429, meaning: 'the caller spent its rate limit budget; Retry-After says when it is back' },
  'headers-too-large': { status: 431, meaning: 'the request headers are too large; the connection is closed' },
  'client-closed-request': { status: 499, meaning: 'the client went away first; its transaction was rolled back, its running statement killed' },
  'client-error': { status: 400, meaning: 'any other 4xx; `status` is the one raised' },
  // 5xx: the detail never carries SQL, values, stacks or credentials
  internal: { status: 500, meaning: 'an unexpected error; it is logged, the client is told nothing more' },
  'method-not-implemented': { status: 501, meaning: 'the HTTP method is unknown to the server; the connection is closed' },
  'pool-unavailable': { status: 503, meaning: 'no connection within the acquire timeout, the wait queue is full, or the pool is closed' },
  'database-unavailable': { status: 503, meaning: 'the database cannot be reached or dropped the connection, or (Galera, 1047) its node has no quorum' },
  'database-busy': { status: 503, meaning: 'the database refused new work for now (e.g. max_prepared_stmt_count, 1461)' },
  'lock-conflict': { status: 503, meaning: 'lock wait timeout or deadlock (1205/1213), after any safe retries' },
  'statement-timeout': { status: 503, meaning: 'the statement ran longer than DB_STATEMENT_TIMEOUT_MS, or got no answer within the statement deadline' },
  'authentication-unavailable': { status: 503, meaning: 'the keys that verify tokens (AUTH_JWKS_URL) could not be fetched yet' },
  'not-ready': { status: 503, meaning: '/health/ready: the database is not reachable, or the instance is shutting down' }
} as const satisfies Record<string, ProblemType>

export type ProblemSlug = keyof typeof PROBLEM_TYPES

export function isProblemSlug(value: string): value is ProblemSlug {
  return Object.hasOwn(PROBLEM_TYPES, value)
}

export function problemTypeUri(slug: ProblemSlug): string {
  return PROBLEM_TYPE_BASE + slug
}

/**
 * The slug for a 4xx nobody gave a more specific one (Fastify's own, or another plugin's
 * http error): chosen by status, so it stays stable whatever code the raiser used.
 */
export function genericClientSlug(status: number): ProblemSlug {
  return GENERIC_CLIENT_SLUGS[status] ?? 'client-error'
}

const GENERIC_CLIENT_SLUGS: Readonly<Record<number, ProblemSlug>> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  408: 'request-timeout',
  409: 'conflict',
  412: 'precondition-failed',
  413: 'body-too-large',
  414: 'uri-too-long',
  415: 'unsupported-media-type',
  428: 'precondition-required',
  429: 'too-many-requests',
  431: 'headers-too-large'
}

/** RFC 9110 reason phrases (Node's table still says "Payload Too Large"), plus nginx's 499. */
const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable'
}

/** `title` is the status's reason phrase: clients already key on it, and it is the same for every slug of a status. */
export function problemTitle(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error')
}
