import { PROBLEM_SCHEMA_ID } from '../http/problem-handler'

const DESCRIPTIONS: Record<number, string> = {
  400: 'Bad Request: a parameter, id or body field is invalid (problem+json with errors[])',
  404: 'Not Found',
  409: 'Conflict: a unique value is taken, or a referenced row is missing or still referenced',
  412: 'Precondition Failed: If-Match does not match the current ETag',
  413: 'Content Too Large: the body exceeds the limit'
}

/** Problem+json response entries for the given statuses, for route schemas and OpenAPI. */
export function problemResponses(...statuses: number[]): Record<number, Record<string, unknown>> {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: DESCRIPTIONS[status],
        content: { 'application/problem+json': { schema: { $ref: `${PROBLEM_SCHEMA_ID}#` } } }
      }
    ])
  )
}

/** Response headers, as @fastify/swagger documents them (serialisation ignores them). */
export const RESPONSE_HEADERS = {
  etag: { type: 'string', description: 'the row version, for If-None-Match and If-Match (entities with a version column)' },
  location: { type: 'string', description: 'path of the created row' },
  link: { type: 'string', description: '<url>; rel="next" when more rows follow' },
  totalCount: { type: 'string', description: 'rows matching the filters, when totalCount=true' }
}
