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
    statuses.map((status) => [status, { $ref: `${PROBLEM_SCHEMA_ID}#`, description: DESCRIPTIONS[status] }])
  )
}
