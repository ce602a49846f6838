import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { NotFoundError } from '../http/errors'
import { parseId } from './ids'
import { listGrammarOf } from './list/grammar'
import { conditionsOf, parseFields, parseListQuery } from './list/parse'
import { ListPlanner } from './list/plan'
import { listStatements, runList } from './list/execute'
import { cutPage, nextPageUrl } from './list/map'
import { getQuerySchema, listResponseSchema, paramsSchema, schemaIds } from './json-schemas'
import { noneMatchHits } from './preconditions'
import type { ResourceModel } from './resource-model'
import type { ResourceReader } from './resource-reader'
import type { RowSource } from './row-source'
import { conditionalHeaders, problemResponses, RESPONSE_HEADERS } from './route-schemas'
import { fullGrant, refuseForbiddenReads } from './access'
import { routeAccess } from './route-access'
import type { RestField } from './resource-model'

type IdRequest = FastifyRequest<{ Params: { id: unknown }; Querystring: { fields?: string } }>
type ListRequestOf = FastifyRequest<{ Querystring: Record<string, unknown> }>

/**
 * GET /<path> and GET /<path>/:id on the fast path: SQL prepared once per entity (per list
 * shape, per `fields=` set), run with `executePooled` on the pool TypeORM created, rows
 * converted by each column's codec and written by the route's response schema. No
 * QueryBuilder and no metadata lookups per request.
 */
export function registerReadRoutes(app: FastifyInstance, model: ResourceModel, reader: ResourceReader, source: RowSource) {
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
          querystring: getQuerySchema(model),
          ...(versioned && { headers: conditionalHeaders('if-none-match') }),
          response: {
            200: { $ref: `${ids.entity}#`, description: `the ${model.name}`, ...(versioned && { headers: { etag: RESPONSE_HEADERS.etag } }) },
            ...(versioned && { 304: { type: 'null', description: 'Not Modified: If-None-Match matched the current ETag' } }),
            ...problemResponses(400, ...access.problems, 404, 503)
          }
        }
      },
      async function getOne(request: IdRequest, reply: FastifyReply) {
        const id = parseId(model, request.params.id)
        const grant = request.grant ?? everything
        let fields: readonly RestField[] | undefined
        if (request.query.fields !== undefined) {
          fields = parseFields(request.query.fields, model.readable)
          refuseForbiddenReads(model, grant, fields)
        } else if (grant.readable !== model.readable) {
          fields = grant.readable
        }
        // Under an owner rule another caller's row is not found, exactly like a missing one: ids do not leak.
        const row = await reader.findById(id, fields, undefined, grant.owner)
        if (row === undefined) throw new NotFoundError(`${model.name} ${String(id)} does not exist`)
        const etag = reader.etagOf(row)
        if (etag !== undefined) {
          reply.header('etag', etag)
          if (noneMatchHits(request.headers['if-none-match'], etag)) return reply.code(304).send()
        }
        return row
      }
    )
  }

  if (model.operations.has('list')) {
    const grammar = listGrammarOf(model)
    const planner = new ListPlanner(model)
    const access = routeAccess(app, model, 'list')
    app.get(
      model.path,
      {
        ...access.hooks,
        schema: {
          ...access.security,
          tags: [model.name],
          summary: `List ${model.name} rows: ${grammar.families.map((family) => family.spelling).join(', ')}`,
          querystring: grammar.querySchema,
          response: {
            200: {
              ...listResponseSchema(model),
              description: 'one page of rows',
              headers: { link: RESPONSE_HEADERS.link, 'x-total-count': RESPONSE_HEADERS.totalCount }
            },
            ...problemResponses(400, ...access.problems, 503)
          }
        }
      },
      // parse -> plan -> execute -> map (src/rest/list/), each once.
      async function list(request: ListRequestOf, reply: FastifyReply) {
        const query = parseListQuery(grammar, model.readable, request.query)
        const grant = request.grant ?? everything
        if (grant.readable !== model.readable) {
          // Filtering or sorting on a field reveals its values as surely as reading it.
          refuseForbiddenReads(model, grant, [...(query.fields ?? []), ...conditionsOf(query).map((term) => term.field), ...query.sort.map((term) => term.field)])
          query.fields ??= grant.readable as RestField[]
        }
        // The owner rule is one more condition of the same SQL (so counts, paging and cursors follow it).
        if (grant.owner) query.where.unshift({ field: grant.owner.field, op: 'eq', value: grant.owner.subject, negated: false })
        const plan = planner.planFor(query)
        const statements = listStatements(model, plan, query)
        return source.read(async (access) => {
          const { rows, total } = await runList(access, statements)
          if (total !== undefined) reply.header('x-total-count', total)
          const cursor = cutPage(rows, query.limit, plan)
          if (cursor !== undefined) reply.header('link', `<${nextPageUrl(request.url, cursor)}>; rel="next"`)
          return access.json(rows, plan.fields, plan.mapRows)
        })
      }
    )
  }
}
