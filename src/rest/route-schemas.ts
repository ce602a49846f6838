import { PROBLEM_SCHEMA_ID } from '../http/problem-handler'
import type { JsonSchema } from './kinds'

const DESCRIPTIONS: Record<number, string> = {
  400: 'Bad Request: a parameter, id or body field is invalid (problem+json with errors[])',
  401: 'Unauthorized: a token is needed, or the Bearer token does not verify (WWW-Authenticate says which)',
  403: "Forbidden: the token's roles may not do this, or read or write a field named in the request",
  404: 'Not Found',
  409: 'Conflict: a unique value is taken, or a referenced row is missing or still referenced',
  412: 'Precondition Failed: If-Match does not match the current ETag (the current ETag is in the ETag header)',
  413: 'Content Too Large: the body exceeds the limit',
  415: 'Unsupported Media Type: the body is not application/json',
  422: 'Unprocessable Content: the row would violate a CHECK constraint',
  503: 'Service Unavailable: no database connection in time, the database is unreachable, or a lock conflict persisted; retry after Retry-After seconds'
}

/** Response headers, as @fastify/swagger documents them (serialisation ignores them). */
export const RESPONSE_HEADERS = {
  etag: { type: 'string', description: 'the row version, for If-None-Match and If-Match (entities with a version column)' },
  location: { type: 'string', description: 'path of the created row' },
  link: { type: 'string', description: '<url>; rel="next" when more rows follow' },
  totalCount: {
    type: 'string',
    description: 'rows matching the filters, when totalCount= (or Prefer: count=) asks: counted (exact) or the optimiser\'s estimate (planned), as Preference-Applied says'
  },
  countApplied: { type: 'string', description: 'count=exact or count=planned: how X-Total-Count was counted' },
  retryAfter: { type: 'integer', description: 'seconds to wait before retrying' },
  wwwAuthenticate: { type: 'string', description: 'the authentication scheme (Bearer) and, for a refused token, why' }
}

/** Problem+json response entries for the given statuses, for route schemas and OpenAPI. */
export function problemResponses(...statuses: number[]): Record<number, Record<string, unknown>> {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: DESCRIPTIONS[status],
        content: { 'application/problem+json': { schema: { $ref: `${PROBLEM_SCHEMA_ID}#` } } },
        ...(status === 401 && { headers: { 'www-authenticate': RESPONSE_HEADERS.wwwAuthenticate } }),
        ...(status === 412 && { headers: { etag: RESPONSE_HEADERS.etag } }),
        ...(status === 503 && { headers: { 'retry-after': RESPONSE_HEADERS.retryAfter } })
      }
    ])
  )
}

/** Request headers of conditional requests; only entities with a version column accept them. */
export function conditionalHeaders(name: 'if-match' | 'if-none-match'): JsonSchema {
  const description =
    name === 'if-match'
      ? 'only write if the row still has this ETag (strong comparison; * = if it exists); 412 otherwise'
      : 'answer 304 Not Modified when the row still has one of these ETags'
  return { type: 'object', properties: { [name]: { type: 'string', maxLength: 1_000, description } } }
}
