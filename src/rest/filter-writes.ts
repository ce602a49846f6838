import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { TooManyRowsError, ValidationFailedError } from '../http/errors'
import { bodyValues } from './body-values'
import type { EntityEvents } from './entity-events'
import { schemaIds } from './json-schemas'
import type { ResourceModel } from './resource-model'
import type { ResourceReader } from './resource-reader'
import { requestTransactionConfig, transactionAccess, type RowAccess } from './row-source'
import { problemResponses } from './route-schemas'
import { WriteStatements } from './write-sql'
import { fullGrant, refuseForbiddenWrites, stampOwner } from './access'
import { routeAccess } from './route-access'
import { preferencesOf, prefersRepresentation, PREFER_HEADER } from './prefer'
import { paddedValues } from './list/conditions'
import type { ListReader } from './list/list-reader'

type Body = Record<string, unknown>
type Row = Record<string, unknown>
type FilterRequest = FastifyRequest<{ Querystring: Record<string, unknown>; Body: Body }>

export interface FilterWriteOptions {
  /** REST_BULK_MAX: most rows one request may touch. */
  bulkMax: number
}

/** Most keys one UPDATE or DELETE binds; a bulk of more runs several, in key order. */
const MAX_KEYS_PER_STATEMENT = 1024

/** `X-Affected-Count`, as OpenAPI documents it. */
const AFFECTED_COUNT_HEADER = { type: 'integer', description: 'rows the request changed (or, refused, would have changed)' }

/**
 * PATCH and DELETE on the collection (`PATCH /books?where.authorId.eq=3`): every row the list
 * grammar's filters select (where, where.not, where.or, through relations, search), changed in
 * one transaction. The rows are selected and locked first (`SELECT key ... FOR UPDATE`), so the
 * request knows how many it would touch before it touches any: more than `Prefer:
 * max-affected=N` (or than REST_BULK_MAX) is a 409 with nothing changed. Then one UPDATE (the
 * version bumped on every row) or DELETE (a stamp under `@DeleteDateColumn`) per run of keys,
 * with the same owner and field rules as the one-row routes; an entity with listeners gets its
 * events row by row. A filter is required: without one, the request is a 400, never "every row".
 * The answer is 204 with `X-Affected-Count`, or with `Prefer: return=representation` 200 and
 * the rows (PATCH: as written; DELETE: as they were).
 */
export function registerFilterWrites(app: FastifyInstance, model: ResourceModel, reader: ResourceReader, lists: ListReader, events: EntityEvents | undefined, { bulkMax }: FilterWriteOptions) {
  const ids = schemaIds(model)
  const statements = new WriteStatements(model, undefined)
  const everything = fullGrant(model)
  const querystring = lists.grammar.filterQuerySchema
  const headers = { type: 'object', properties: { prefer: { ...PREFER_HEADER, description: `${PREFER_HEADER.description}; return=representation answers with the rows; max-affected=N refuses (409) a request that would touch more than N rows` } } }
  const responses = (what: string) => ({
    200: { type: 'array', items: { $ref: `${ids.entity}#` }, description: `the rows ${what} (Prefer: return=representation)`, headers: { 'x-affected-count': AFFECTED_COUNT_HEADER } },
    204: { type: 'null', description: `the rows are ${what}; X-Affected-Count says how many`, headers: { 'x-affected-count': AFFECTED_COUNT_HEADER } }
  })

  /** The request's filtered rows, locked, after checking it names a filter and stays within its bound. */
  const lockedRows = async (request: FilterRequest, reply: FastifyReply, access: RowAccess): Promise<unknown[]> => {
    const keys = await lists.lockKeys(access, lists.parse(request.query, request.grant ?? everything, request.grant ? request.caller! : undefined))
    const max = maxAffectedOf(request)
    const bound = Math.min(max ?? bulkMax, bulkMax)
    if (keys.length > bound) {
      reply.header('x-affected-count', keys.length)
      const which = max !== undefined && max < bulkMax ? `Prefer: max-affected=${max}` : `REST_BULK_MAX (${bulkMax}): narrow the filter, or send several requests`
      throw new TooManyRowsError(`the filter selects ${keys.length} ${model.name} rows, more than ${which}; nothing was changed`)
    }
    return keys
  }

  /** The answer: the rows, or their count. */
  const answer = (reply: FastifyReply, count: number, rows: Row[] | undefined) => {
    reply.header('x-affected-count', count)
    if (rows === undefined) return reply.code(204).send()
    return reply.header('preference-applied', 'return=representation').code(200).send(rows)
  }

  if (model.operations.has('update')) {
    const rules = routeAccess(app, model, 'update')
    app.patch<{ Querystring: Record<string, unknown>; Body: Body }>(
      model.path,
      {
        ...rules.hooks,
        config: requestTransactionConfig(events),
        schema: {
          tags: [model.name],
          summary: `Change some fields of every ${model.name} the filters select (at most ${bulkMax}), in one transaction`,
          ...rules.security,
          querystring,
          headers,
          body: { $ref: `${ids.patch}#` },
          response: { ...responses('as written'), ...problemResponses(400, ...rules.problems, 409, 413, 415, 422, 503) }
        }
      },
      async function updateWhere(request, reply) {
        refuseUnfiltered(request.query)
        const grant = request.grant ?? everything
        let values = bodyValues(request.body, model.updatable)
        refuseForbiddenWrites(model, grant, values)
        if (grant.owner) values = stampOwner(model, grant.owner, values, 'keep')
        const access = await transactionAccess(request, events)
        const keys = await lockedRows(request, reply, access)
        if (events) {
          for (const key of keys) {
            const raw = (await reader.lockRawById(key, access, grant.owner))!
            const { entity, databaseEntity } = events.pairOf(raw, model.readable, values)
            const written = await events.before('Update', access.runner!, entity, databaseEntity, values)
            const { statement, values: bound } = statements.update(written, key, undefined, grant.owner)
            await access.run(statement, bound)
            await events.after('Update', access.runner!, entity, databaseEntity)
          }
        } else {
          await runByKeys(access, keys, (run) => statements.updateByKeys(values, run, undefined, grant.owner))
        }
        const rows = prefersRepresentation(request) ? await reader.findByKeys(keys, grant.readable, access) : undefined
        return answer(reply, keys.length, rows)
      }
    )
  }

  if (model.operations.has('delete')) {
    const rules = routeAccess(app, model, 'delete')
    const event = model.deleteDate ? 'SoftRemove' : 'Remove'
    app.delete<{ Querystring: Record<string, unknown>; Body: Body }>(
      model.path,
      {
        ...rules.hooks,
        config: requestTransactionConfig(events),
        schema: {
          tags: [model.name],
          summary: `Delete every ${model.name} the filters select (at most ${bulkMax}), in one transaction${model.deleteDate ? ' (soft deletes: stamped and hidden)' : ''}`,
          ...rules.security,
          querystring,
          headers,
          response: { ...responses('deleted'), ...problemResponses(400, ...rules.problems, 409, 503) }
        }
      },
      async function removeWhere(request, reply) {
        refuseUnfiltered(request.query)
        const { owner, readable } = request.grant ?? everything
        const access = await transactionAccess(request, events)
        const keys = await lockedRows(request, reply, access)
        const rows = prefersRepresentation(request) ? await reader.findByKeys(keys, readable, access) : undefined
        if (events) {
          for (const key of keys) {
            const raw = (await reader.lockRawById(key, access, owner))!
            const { entity, databaseEntity } = events.pairOf(raw, model.readable, [])
            await events.before(event, access.runner!, entity, databaseEntity, [])
            const { statement, values } = statements.remove(key, undefined, owner)
            await access.run(statement, values)
            await events.after(event, access.runner!, entity, databaseEntity)
          }
        } else {
          await runByKeys(access, keys, (run) => statements.removeByKeys(run, undefined, owner))
        }
        return answer(reply, keys.length, rows)
      }
    )
  }
}

/** Runs one statement per run of keys (padded, so a bulk of any size prepares few statements). */
async function runByKeys(access: RowAccess, keys: unknown[], statementOf: (run: unknown[]) => { statement: string; values: unknown[] }): Promise<void> {
  for (let start = 0; start < keys.length; start += MAX_KEYS_PER_STATEMENT) {
    const { statement, values } = statementOf(paddedValues(keys.slice(start, start + MAX_KEYS_PER_STATEMENT)))
    await access.run(statement, values)
  }
}

/** A bulk write names at least one filter: "every row" is never what a missing filter means. */
function refuseUnfiltered(query: Record<string, unknown>): void {
  if (Object.keys(query).some((key) => key.startsWith('where.') || key === 'search')) return
  const message = 'a PATCH or DELETE on the collection needs a filter (where.<field>.<op>=…) naming the rows to change'
  throw new ValidationFailedError(`querystring ${message}`, [{ path: 'querystring', message }])
}

/** `Prefer: max-affected=N` (a non-negative integer), or undefined when absent; anything else is a 400. */
function maxAffectedOf(request: FastifyRequest): number | undefined {
  const text = preferencesOf(request.headers.prefer).get('max-affected')
  if (text === undefined) return undefined
  if (!/^[0-9]{1,15}$/.test(text)) {
    const message = `max-affected must be a non-negative integer, not "${text.slice(0, 30)}"`
    throw new ValidationFailedError(`headers.prefer ${message}`, [{ path: 'headers.prefer', message }])
  }
  return Number(text)
}
