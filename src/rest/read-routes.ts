import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { NotFoundError } from '../http/errors'
import { decodeCursor, encodeCursor } from './cursor'
import { parseId } from './ids'
import { listKeyTable, parseFields, parseListQuery } from './list-grammar'
import { afterCursorQuery, filterValues, ListPlanner } from './list-sql'
import { getQuerySchema, listQuerySchema, listResponseSchema, paramsSchema, schemaIds } from './json-schemas'
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
    const planner = new ListPlanner(model)
    const keyTable = listKeyTable(model)
    const access = routeAccess(app, model, 'list')
    app.get(
      model.path,
      {
        ...access.hooks,
        schema: {
          ...access.security,
          tags: [model.name],
          summary: `List ${model.name} rows: where.<field>.<op>, orderby.<field>, limit, offset, fields, totalCount, cursor`,
          querystring: listQuerySchema(model),
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
      async function list(request: ListRequestOf, reply: FastifyReply) {
        const query = parseListQuery(keyTable, model.readable, request.query)
        const grant = request.grant ?? everything
        if (grant.readable !== model.readable) {
          // Filtering or sorting on a field reveals its values as surely as reading it.
          refuseForbiddenReads(model, grant, [...(query.fields ?? []), ...query.filters.map((term) => term.field), ...query.sort.map((term) => term.field)])
          query.fields ??= grant.readable as RestField[]
        }
        // The owner rule is one more condition of the same SQL (so counts, paging and cursors follow it).
        if (grant.owner) query.filters.unshift({ field: grant.owner.field, op: 'eq', value: grant.owner.subject })
        const plan = planner.planFor(query)
        const values = filterValues(model, query)
        let sql = plan.sql
        let keysetValues: unknown[] = []
        if (query.cursor !== undefined) {
          const after = afterCursorQuery(plan, decodeCursor(plan.keys, plan.signature, query.cursor))
          sql = after.sql
          keysetValues = after.values
        }
        // One row more than asked tells whether a next page exists without a second query.
        // LIMIT/OFFSET are bound as text: MySQL 8 refuses the DOUBLE mysql2 sends for a JS number there.
        const pageValues = [...values, ...keysetValues, String(query.limit + 1), String(query.offset)]
        return source.read(async (access) => {
          const [rows, count] = await Promise.all([
            access.run(sql, pageValues),
            query.totalCount ? access.run<{ total: number | string }>(plan.countSql, values) : undefined
          ])
          if (count !== undefined) reply.header('x-total-count', String(count[0].total))
          if (rows.length > query.limit) {
            rows.length = query.limit
            // The cursor holds raw values, so it is taken before the rows are turned into JSON.
            const cursor = encodeCursor(plan.keys, plan.signature, rows[rows.length - 1])
            reply.header('link', `<${nextPageUrl(request.url, cursor)}>; rel="next"`)
          }
          return access.json(rows, plan.fields, plan.mapRows)
        })
      }
    )
  }
}

/** The same list URL with the position moved to `cursor` (an offset only applies to a first page). */
export function nextPageUrl(url: string, cursor: string): string {
  const queryStart = url.indexOf('?')
  const path = queryStart === -1 ? url : url.slice(0, queryStart)
  const kept = queryStart === -1 ? [] : url.slice(queryStart + 1).split('&').filter(keepInNextPage)
  kept.push(`cursor=${cursor}`)
  return `${path}?${kept.join('&')}`
}

function keepInNextPage(pair: string): boolean {
  return pair !== '' && !pair.startsWith('cursor=') && !pair.startsWith('offset=')
}
