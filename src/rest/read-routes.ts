import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { NotFoundError } from '../http/errors'
import { parseId } from './ids'
import type { ListReader } from './list/list-reader'
import { needsListRead, parseFields } from './list/parse'
import { paramsSchema, schemaIds } from './json-schemas'
import { answerList, listOkResponse, listRequestHeaders, withPlanAccept, withPlanAnswer } from './list-answer'
import { PLAN_MEDIA_TYPE, wantsPlan } from './list/plan-answer'
import { noneMatchHits } from './preconditions'
import type { ResourceModel } from './resource-model'
import type { ResourceReader } from './resource-reader'
import { conditionalHeaders, problemResponses, RESPONSE_HEADERS } from './route-schemas'
import { fullGrant, refuseForbiddenReads, type Grant } from './access'
import { routeAccess } from './route-access'
import type { RestField } from './resource-model'

type IdRequest = FastifyRequest<{ Params: { id: unknown }; Querystring: Record<string, unknown> & { fields?: string } }>
type ListRequestOf = FastifyRequest<{ Querystring: Record<string, unknown> }>

/**
 * GET /<path> and GET /<path>/:id on the fast path (a GET /:id that embeds goes through the list
 * reader, src/rest/list/, as a list of one row): SQL prepared once per entity (per list
 * shape, per `fields=` set), run with `executePooled` on the pool TypeORM created, rows
 * converted by each column's codec and written by the route's response schema. No
 * QueryBuilder and no metadata lookups per request.
 */
export function registerReadRoutes(app: FastifyInstance, model: ResourceModel, reader: ResourceReader, lists: ListReader, { explainPlans }: { explainPlans: boolean }) {
  const ids = schemaIds(model)
  const versioned = model.version !== undefined
  const everything = fullGrant(model)
  if (model.operations.has('get')) {
    const access = routeAccess(app, model, 'get')
    app.get(
      `${model.path}/:id`,
      {
        ...access.hooks,
        schema: {
          tags: [model.name],
          summary: `Get one ${model.name} by ${model.primary.name}`,
          ...access.security,
          params: paramsSchema(model),
          querystring: lists.grammar.oneQuerySchema,
          ...((versioned || explainPlans) && { headers: withPlanAccept(versioned ? conditionalHeaders('if-none-match') : undefined, explainPlans) }),
          response: {
            200: withPlanAnswer(
              { $ref: `${ids.entity}#`, description: `the ${model.name}`, ...(versioned && { headers: { etag: RESPONSE_HEADERS.etag } }) },
              explainPlans
            ),
            ...(versioned && { 304: { type: 'null', description: 'Not Modified: If-None-Match matched the current ETag' } }),
            ...problemResponses(400, ...access.problems, 404, 503)
          }
        }
      },
      async function getOne(request: IdRequest, reply: FastifyReply) {
        const id = parseId(model, request.params.id)
        const grant = request.grant ?? everything
        if (needsListRead(lists.grammar, request.query)) return getWithEmbeds(request, reply, id, grant)
        let fields: readonly RestField[] | undefined
        if (request.query.fields !== undefined) {
          fields = parseFields(request.query.fields, model.readable)
          refuseForbiddenReads(model, grant, fields)
        } else if (grant.readable !== model.readable) {
          fields = grant.readable
        }
        // Under an owner rule another caller's row is not found, exactly like a missing one: ids do not leak.
        return answerOne(request, reply, id, await reader.findById(id, fields, undefined, grant.owner))
      }
    )

    /** GET /:id?include=...: the list's SQL for a list of one, so an embed is the same on both routes. */
    const getWithEmbeds = async (request: IdRequest, reply: FastifyReply, id: unknown, grant: Grant) => {
      const query = lists.parse(request.query, grant, request.grant ? request.caller! : undefined)
      query.where.push({ field: model.primary, op: 'eq', value: id, negated: false })
      query.limit = 1
      query.version = true
      if (explainPlans && wantsPlan(request.headers.accept)) {
        reply.type(PLAN_MEDIA_TYPE)
        return lists.explain(query)
      }
      return answerOne(request, reply, id, (await lists.read(query)).rows[0])
    }

    const answerOne = (request: IdRequest, reply: FastifyReply, id: unknown, row: Record<string, unknown> | undefined) => {
      if (row === undefined) throw new NotFoundError(`${model.name} ${String(id)} does not exist`)
      const etag = reader.etagOf(row)
      if (etag !== undefined) {
        reply.header('etag', etag)
        if (noneMatchHits(request.headers['if-none-match'], etag)) return reply.code(304).send()
      }
      return row
    }
  }

  if (model.operations.has('list')) {
    const access = routeAccess(app, model, 'list')
    app.get(
      model.path,
      {
        ...access.hooks,
        schema: {
          ...access.security,
          tags: [model.name],
          summary: `List ${model.name} rows: ${lists.grammar.families.map((family) => family.spelling).join(', ')}`,
          querystring: lists.grammar.querySchema,
          headers: listRequestHeaders(explainPlans),
          response: {
            200: listOkResponse(model, explainPlans),
            ...problemResponses(400, ...access.problems, 503)
          }
        }
      },
      async function list(request: ListRequestOf, reply: FastifyReply) {
        const query = lists.parse(request.query, request.grant ?? everything, request.grant ? request.caller! : undefined)
        return answerList(request, reply, lists, query, explainPlans)
      }
    )
  }
}
