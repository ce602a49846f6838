import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { NotFoundError, PreconditionFailedError, PreconditionRequiredError, ValidationFailedError } from '../http/errors'
import { bodyValues, type FieldValue } from './body-values'
import type { EntityEvents } from './entity-events'
import { parseId } from './ids'
import { NO_QUERY_SCHEMA, paramsSchema, schemaIds } from './json-schemas'
import { ifMatchVersions } from './preconditions'
import type { ResourceModel } from './resource-model'
import type { ResourceReader } from './resource-reader'
import { poolAccess, requestTransactionConfig, transactionAccess, type RowAccess } from './row-source'
import { conditionalHeaders, problemResponses, RESPONSE_HEADERS } from './route-schemas'
import { MAX_IF_MATCH_TAGS, WriteStatements } from './write-sql'
import { fullGrant, grantFor, refuseForbiddenWrites, stampOwner, type OwnerScope } from './access'
import { duplicateKeyOf } from '../http/database-errors'
import { routeAccess } from './route-access'
import { PREFER_HEADER } from './prefer'
import { answerRow } from './row-answers'

type Body = Record<string, unknown>
type WriteRequest = FastifyRequest<{ Params: { id: unknown }; Body: Body }>

/** What an UPDATE or DELETE answers (mysql2's ResultSetHeader). */
interface WriteResult {
  affectedRows: number
}

/**
 * PATCH, PUT and DELETE of one row (POST is create-route.ts, writes by filter filter-writes.ts)
 * with SQL written once per shape from the entity's metadata (write-sql.ts), values checked and
 * converted by each column's codec (body-values.ts), and every answer read back exactly as GET
 * shows it. A write that takes more than one statement runs in the request transaction on one
 * connection (src/db/transaction-scope.ts), so the answer is the row as *that* request wrote it
 * and nothing is committed before the response is ready: PATCH and PUT always (UPDATE, then
 * SELECT).
 *
 * An entity with listeners or subscribers gets TypeORM's entity events around the same SQL
 * (entity-events.ts): BeforeUpdate/AfterUpdate with the row as it was, BeforeRemove/AfterRemove
 * (or the soft-remove pair), each in the request transaction.
 */
export function registerWriteRoutes(app: FastifyInstance, model: ResourceModel, reader: ResourceReader, events: EntityEvents | undefined) {
  const ids = schemaIds(model)
  const entityRef = { $ref: `${ids.entity}#` }
  const params = paramsSchema(model)
  const tags = [model.name]
  const versioned = model.version !== undefined
  const etagHeader = versioned ? { etag: RESPONSE_HEADERS.etag } : {}
  const pooled = poolAccess(app.db)
  const statements = new WriteStatements(model, undefined)
  const requireIfMatch = model.requireIfMatch
  const everything = fullGrant(model)

  /** The row's current state explains a conditional write that touched nothing: 404, or 412 with the current ETag. */
  const explainNothingWritten = async (reply: FastifyReply, id: unknown, access: RowAccess, owner: OwnerScope | undefined): Promise<never> => {
    const current = await reader.findById(id, [model.primary], { ...access, json: (rows, _fields, mapRows) => mapRows(rows) }, owner)
    if (current === undefined) throw new NotFoundError(`${model.name} ${String(id)} does not exist`)
    const etag = reader.etagOf(current)
    if (etag !== undefined) reply.header('etag', etag)
    throw new PreconditionFailedError(`${model.name} ${String(id)} has changed: If-Match does not match its current ETag ${etag ?? ''}`.trim())
  }

  /** The versions If-Match allows; undefined for none given or `*`. An empty list can never match. */
  const versionsOf = (request: WriteRequest): number[] | undefined => {
    const header = request.headers['if-match']
    if (header === undefined) {
      if (requireIfMatch) throw new PreconditionRequiredError(`writes to ${model.name} need If-Match with the row's current ETag`)
      return undefined
    }
    const versions = ifMatchVersions(header)
    if (versions === 'any') return undefined
    if (!versioned) {
      throw new ValidationFailedError('headers.if-match: this resource has no ETag, so If-Match can only be *', [
        { path: 'headers.if-match', message: `can only be * (${model.name} has no version column)` }
      ])
    }
    if (versions.length > MAX_IF_MATCH_TAGS) {
      throw new ValidationFailedError(`headers.if-match lists more than ${MAX_IF_MATCH_TAGS} ETags`, [
        { path: 'headers.if-match', message: `must list at most ${MAX_IF_MATCH_TAGS} ETags` }
      ])
    }
    return versions
  }

  /**
   * For an entity with events: the row as it is now (locked until the transaction ends), as the
   * listeners' database entity, and a copy carrying the request's values, as the entity.
   */
  const loadForEvents = async (
    reply: FastifyReply,
    id: unknown,
    versions: number[] | undefined,
    access: RowAccess,
    values: FieldValue[],
    owner: OwnerScope | undefined
  ) => {
    const raw = await reader.lockRawById(id, access, owner)
    if (raw === undefined || (versions !== undefined && !versions.includes(Number(raw._version)))) return explainNothingWritten(reply, id, access, owner)
    return events!.pairOf(raw, model.readable, values)
  }

  const update = async (request: WriteRequest, reply: FastifyReply) => {
    const id = parseId(model, request.params.id)
    const versions = versionsOf(request)
    const grant = request.grant ?? everything
    const { owner } = grant
    let values = bodyValues(request.body, model.updatable)
    refuseForbiddenWrites(model, grant, values)
    if (owner) values = stampOwner(model, owner, values, 'keep')
    const access = await transactionAccess(request, events)
    if (versions?.length === 0) return explainNothingWritten(reply, id, access, owner)
    const loaded = events ? await loadForEvents(reply, id, versions, access, values, owner) : undefined
    if (loaded) values = await events!.before('Update', access.runner!, loaded.entity, loaded.databaseEntity, values)
    const { statement, values: bound } = statements.update(values, id, versions, owner)
    const result = (await access.run(statement, bound)) as unknown as WriteResult
    if (result.affectedRows === 0) {
      if (createsMissing(request, owner)) return createAt(request, reply, id, access, () => access.run(statement, bound))
      await explainNothingWritten(reply, id, access, owner)
    }
    if (loaded) await events!.after('Update', access.runner!, loaded.entity, loaded.databaseEntity)
    const row = await reader.findById(id, grant.readable === model.readable ? undefined : grant.readable, access)
    if (row === undefined) throw new NotFoundError(`${model.name} ${String(id)} does not exist`)
    return answerRow(request, reply, reader, model, row, 200)
  }
  /**
   * `upsert: true`: a PUT without If-Match on an id that does not exist creates the row with
   * that id. Not under an owner rule (a missing row and another caller's look alike, and must
   * stay so) nor with entity events (the Insert events would need the create path's order).
   */
  const createsMissing = (request: WriteRequest, owner: OwnerScope | undefined) =>
    model.upsert && request.method === 'PUT' && request.headers['if-match'] === undefined && owner === undefined && events === undefined

  const createAt = async (request: WriteRequest, reply: FastifyReply, id: unknown, access: RowAccess, updateAgain: () => Promise<unknown>) => {
    // Creating needs the create rights as well as the update rights the route checked.
    const grant = request.caller ? grantFor(model, request.caller, 'create') : everything
    const values = bodyValues(request.body, model.creatable)
    refuseForbiddenWrites(model, grant, values)
    const insert = statements.insert([...values, { field: model.primary, value: id }])
    let created = true
    try {
      await access.run(insert.statement, insert.values)
    } catch (err) {
      // Another PUT created it first (both found it missing): this one replaces it, as if it had come second.
      if (duplicateKeyOf(err)?.key !== 'PRIMARY' || ((await updateAgain()) as WriteResult).affectedRows === 0) throw err
      created = false
    }
    const row = await reader.findById(id, grant.readable === model.readable ? undefined : grant.readable, access)
    if (row === undefined) throw new NotFoundError(`the new ${model.name} could not be read back`)
    return answerRow(request, reply, reader, model, row, created ? 201 : 200)
  }

  const updateRules = routeAccess(app, model, 'update')
  const updateResponses = {
    200: { ...entityRef, description: `the ${model.name} as this request wrote it`, ...(versioned && { headers: etagHeader }) },
    204: { type: 'null', description: 'written, answered without the row (Prefer: return=minimal)', ...(versioned && { headers: etagHeader }) },
    ...problemResponses(400, ...updateRules.problems, 404, 409, ...(versioned ? [412] : []), 413, 415, 422, ...(requireIfMatch ? [428] : []), 503)
  }

  // PATCH and PUT differ only in their body schema: both run `update` with what the client sent.
  const updateRoutes = [
    { operation: 'update', method: 'PATCH', body: ids.patch, summary: `Change some fields of a ${model.name}` },
    { operation: 'replace', method: 'PUT', body: ids.replace, summary: `Replace every writable field of a ${model.name}` }
  ] as const
  for (const route of updateRoutes) {
    if (!model.operations.has(route.operation)) continue
    app.route<{ Params: { id: unknown }; Body: Body }>({
      method: route.method,
      url: `${model.path}/:id`,
      config: requestTransactionConfig(events),
      ...updateRules.hooks,
      schema: {
        tags,
        summary: versioned ? `${route.summary} (If-Match makes it conditional)` : route.summary,
        ...updateRules.security,
        params,
        querystring: NO_QUERY_SCHEMA,
        headers: { type: 'object', properties: { ...(versioned ? (conditionalHeaders('if-match').properties as object) : {}), prefer: PREFER_HEADER } },
        body: { $ref: `${route.body}#` },
        response:
          route.operation === 'replace' && model.upsert
            ? { ...updateResponses, 201: { ...entityRef, description: `created: no ${model.name} had this id (upsert)`, headers: { location: RESPONSE_HEADERS.location, ...etagHeader } } }
            : updateResponses
      },
      handler: update
    })
  }

  if (model.operations.has('delete')) {
    const event = model.deleteDate ? 'SoftRemove' : 'Remove'
    const deleteRules = routeAccess(app, model, 'delete')
    app.delete<{ Params: { id: unknown }; Body: Body }>(
      `${model.path}/:id`,
      {
        ...deleteRules.hooks,
        // One statement needs no transaction; with entity events the listeners run inside one.
        config: { transactional: events !== undefined },
        schema: {
          tags,
          summary: `Delete a ${model.name}${model.deleteDate ? ' (a soft delete: the row is stamped and hidden)' : ''}${versioned ? ' (If-Match makes it conditional)' : ''}`,
          ...deleteRules.security,
          params,
          querystring: NO_QUERY_SCHEMA,
          ...(versioned && { headers: conditionalHeaders('if-match') }),
          response: {
            204: { type: 'null', description: 'deleted' },
            ...problemResponses(400, ...deleteRules.problems, 404, 409, ...(versioned ? [412] : []), ...(requireIfMatch ? [428] : []), 503)
          }
        }
      },
      async function remove(request, reply) {
        const id = parseId(model, request.params.id)
        const versions = versionsOf(request)
        const { owner } = request.grant ?? everything
        const access = events ? await transactionAccess(request, events) : pooled
        if (versions?.length === 0) return explainNothingWritten(reply, id, access, owner)
        const loaded = events ? await loadForEvents(reply, id, versions, access, [], owner) : undefined
        if (loaded) await events!.before(event, access.runner!, loaded.entity, loaded.databaseEntity, [])
        const { statement, values } = statements.remove(id, versions, owner)
        const result = (await access.run(statement, values)) as unknown as WriteResult
        if (result.affectedRows === 0) await explainNothingWritten(reply, id, access, owner)
        if (loaded) await events!.after(event, access.runner!, loaded.entity, loaded.databaseEntity)
        return reply.code(204).send()
      }
    )
  }
}
