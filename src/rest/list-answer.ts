import type { FastifyReply, FastifyRequest } from 'fastify'
import type { JsonSchema } from './kinds'
import { listResponseSchema } from './json-schemas'
import { preferredCount } from './list/counts'
import type { ListReader } from './list/list-reader'
import { nextPageUrl } from './list/map'
import type { ListRequest } from './list/parse'
import { PLAN_ANSWER_SCHEMA, PLAN_MEDIA_TYPE, wantsPlan, type PlanAnswer } from './list/plan-answer'
import type { ResourceModel } from './resource-model'
import { RESPONSE_HEADERS } from './route-schemas'

/**
 * What GET /<path> and the nested GET /<parent>/:id/<relation> share once their request is
 * parsed and authorized: the count a `Prefer: count=` header asks for, the plan answer
 * (REST_EXPLAIN), and the page's headers.
 */
type ListHttpRequest = FastifyRequest<{ Querystring: Record<string, unknown> }>

/** The request headers a list route reads, for validation and OpenAPI. */
export function listRequestHeaders(explainPlans: boolean): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    prefer: {
      type: 'string',
      maxLength: 1_000,
      description: 'RFC 7240 preferences; count=exact|planned|estimated sets X-Total-Count like totalCount= does (totalCount= wins when both are sent)'
    }
  }
  if (explainPlans) properties.accept = { type: 'string', maxLength: 1_000, description: `${PLAN_MEDIA_TYPE} answers the SQL and its plan instead of the rows (REST_EXPLAIN)` }
  return { type: 'object', properties }
}

/** The 200 of a list route: the rows as JSON and, with REST_EXPLAIN on, the plan answer. */
export function listOkResponse(model: ResourceModel, explainPlans: boolean): JsonSchema {
  const headers = { link: RESPONSE_HEADERS.link, 'x-total-count': RESPONSE_HEADERS.totalCount, 'preference-applied': RESPONSE_HEADERS.countApplied }
  if (!explainPlans) return { ...listResponseSchema(model), description: 'one page of rows', headers }
  return {
    description: `one page of rows (application/json), or with Accept: ${PLAN_MEDIA_TYPE} the SQL and plan that would read it`,
    headers,
    content: { 'application/json': { schema: listResponseSchema(model) }, [PLAN_MEDIA_TYPE]: { schema: PLAN_ANSWER_SCHEMA } }
  }
}

/** A GET /:id's request headers, and with REST_EXPLAIN on the Accept that asks for the plan (answered when the row is read through the list: include=, withDeleted). */
export function withPlanAccept(headers: JsonSchema | undefined, explainPlans: boolean): JsonSchema {
  const schema = headers ?? { type: 'object', properties: {} }
  if (!explainPlans) return schema
  return { ...schema, properties: { ...(schema.properties as Record<string, JsonSchema>), accept: { type: 'string', maxLength: 1_000, description: `${PLAN_MEDIA_TYPE} answers the SQL and its plan instead of the row, when include= or withDeleted= reads it through the list (REST_EXPLAIN)` } } }
}

/** A GET /:id's 200 and, with REST_EXPLAIN on, the plan answer beside it. */
export function withPlanAnswer(ok: JsonSchema, explainPlans: boolean): JsonSchema {
  if (!explainPlans) return ok
  const { description, headers, ...schema } = ok
  return { description, ...(headers !== undefined && { headers }), content: { 'application/json': { schema }, [PLAN_MEDIA_TYPE]: { schema: PLAN_ANSWER_SCHEMA } } }
}

/** Reads the page of `query` (or, asked and allowed, its plan) and sets the list's headers. */
export async function answerList(
  request: ListHttpRequest,
  reply: FastifyReply,
  lists: ListReader,
  query: ListRequest,
  explainPlans: boolean
): Promise<Array<Record<string, unknown>> | PlanAnswer> {
  if (request.query.totalCount === undefined && request.headers.prefer !== undefined) query.count = preferredCount(request.headers.prefer)
  if (explainPlans && wantsPlan(request.headers.accept)) {
    reply.type(PLAN_MEDIA_TYPE)
    return lists.explain(query)
  }
  const page = await lists.read(query)
  if (page.total !== undefined) reply.header('x-total-count', page.total).header('preference-applied', `count=${page.countKind}`)
  if (page.cursor !== undefined) reply.header('link', `<${nextPageUrl(request.url, page.cursor)}>; rel="next"`)
  return page.rows
}
