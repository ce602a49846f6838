import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver'
import { NotFoundError, PreconditionFailedError, PreconditionRequiredError, ValidationFailedError } from '../http/errors'
import { bodyValues, type FieldValue } from './body-values'
import type { EntityEvents } from './entity-events'
import { parseId } from './ids'
import { NO_QUERY_SCHEMA, paramsSchema, schemaIds } from './json-schemas'
import { ifMatchVersions } from './preconditions'
import type { ResourceModel } from './resource-model'
import type { ResourceReader } from './resource-reader'
import { poolAccess, transactionAccess, type RowAccess } from './row-source'
import { conditionalHeaders, problemResponses, RESPONSE_HEADERS } from './route-schemas'
import { MAX_IF_MATCH_TAGS, WriteStatements } from './write-sql'
import { fullGrant, refuseForbiddenWrites, stampOwner, type Grant, type OwnerScope } from './access'
import { routeAccess } from './route-access'

type Body = Record<string, unknown>
type Row = Record<string, unknown>
type WriteRequest = FastifyRequest<{ Params: { id: unknown }; Body: Body }>

/** What an INSERT, UPDATE or DELETE answers (mysql2's ResultSetHeader). */
interface WriteResult {
  affectedRows: number
  insertId: number
}

/**
 * POST, PATCH, PUT and DELETE with SQL written once per shape from the entity's metadata
 * (write-sql.ts), values checked and converted by each column's codec (body-values.ts), and
 * every answer read back exactly as GET shows it. A write that takes more than one statement
 * runs in the request transaction on one connection (src/db/transaction-scope.ts), so the
 * answer is the row as *that* request wrote it and nothing is committed before the response
 * is ready: PATCH and PUT always (UPDATE, then SELECT), POST where the server cannot answer
 * an INSERT with its row (MySQL). On MariaDB, POST is one `INSERT ... RETURNING`.
 *
 * An entity with listeners or subscribers gets TypeORM's entity events around the same SQL
 * (entity-events.ts): BeforeInsert/AfterInsert, BeforeUpdate/AfterUpdate with the row as it
 * was, BeforeRemove/AfterRemove (or the soft-remove pair), each in the request transaction.
 */
export function registerWriteRoutes(app: FastifyInstance, model: ResourceModel, reader: ResourceReader, events: EntityEvents | undefined) {
  const ids = schemaIds(model)
  const entityRef = { $ref: `${ids.entity}#` }
  const params = paramsSchema(model)
  const tags = [model.name]
  const versioned = model.version !== undefined
  const etagHeader = versioned ? { etag: RESPONSE_HEADERS.etag } : {}
  const pooled = poolAccess(app.db)
  // MariaDB >= 10.5 returns the stored row from the INSERT itself (RETURNING): one round trip.
  const insertReturnsRow = (app.db.driver as MysqlDriver).isReturningSqlSupported('insert')
  const selection = reader.selection()
  const statements = new WriteStatements(model, insertReturnsRow ? selection.columns : undefined)
  const requireIfMatch = model.requireIfMatch
  const everything = fullGrant(model)
  /** What the caller sees of a row: every readable field, or its roles' share of them. */
  const shownTo = (grant: Grant) => (grant.readable === model.readable ? selection : reader.selection(grant.readable))

  const sendRow = (reply: FastifyReply, row: Row, status: number) => {
    const etag = reader.etagOf(row)
    if (etag !== undefined) reply.header('etag', etag)
    return reply.code(status).send(row)
  }

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
    const databaseEntity = events!.entityOf(raw, model.readable)
    return { databaseEntity, entity: events!.assign(events!.entityOf(raw, model.readable), values) }
  }

  /** POST's work, shared with the nested POST (`/authors/:id/books`, src/rest/nested-routes.ts). */
  const create = async (request: FastifyRequest<{ Body: Body }>, reply: FastifyReply) => {
    const grant = request.grant ?? everything
    let values = bodyValues(request.body, model.creatable)
    refuseForbiddenWrites(model, grant, values)
    if (grant.owner) values = stampOwner(model, grant.owner, values)
    const access = insertReturnsRow && !events ? pooled : await transactionAccess(request, events)
    const entity = events?.assign(model.metadata.create(), values)
    if (events) values = await events.before('Insert', access.runner!, entity!, undefined, values)
    const insert = statements.insert(values)
    let raw: Row | undefined
    if (insertReturnsRow) {
      raw = (await access.run<Row>(insert.statement, insert.values))[0]
    } else {
      const result = (await access.run(insert.statement, insert.values)) as unknown as WriteResult
      raw = (await access.run<Row>(selection.byId, [...model.scope.values, insert.key ?? result.insertId]))[0]
    }
    if (raw === undefined) throw new NotFoundError(`the new ${model.name} could not be read back`)
    if (events) await events.after('Insert', access.runner!, events.merge(entity!, raw, selection.fields), undefined)
    const shown = shownTo(grant)
    const [row] = await access.json([raw], shown.fields, shown.mapRows)
    reply.header('location', `${model.path}/${encodeURIComponent(String(row[model.primary.name]))}`)
    return sendRow(reply, row, 201)
  }
  // Without RETURNING, or with entity events, the INSERT and its read-back share one transaction.
  const createConfig = { transactional: !insertReturnsRow || events !== undefined }

  if (model.operations.has('create')) {
    const routeRules = routeAccess(app, model, 'create')
    app.post<{ Body: Body }>(
      model.path,
      {
        ...routeRules.hooks,
        config: createConfig,
        schema: {
          tags,
          summary: `Create a ${model.name}`,
          ...routeRules.security,
          querystring: NO_QUERY_SCHEMA,
          body: { $ref: `${ids.create}#` },
          response: {
            201: { ...entityRef, description: 'created', headers: { location: RESPONSE_HEADERS.location, ...etagHeader } },
            ...problemResponses(400, ...routeRules.problems, 409, 413, 415, 422, 503)
          }
        }
      },
      create
    )
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
    if (result.affectedRows === 0) await explainNothingWritten(reply, id, access, owner)
    if (loaded) await events!.after('Update', access.runner!, loaded.entity, loaded.databaseEntity)
    const row = await reader.findById(id, grant.readable === model.readable ? undefined : grant.readable, access)
    if (row === undefined) throw new NotFoundError(`${model.name} ${String(id)} does not exist`)
    return sendRow(reply, row, 200)
  }
  const updateRules = routeAccess(app, model, 'update')
  const updateResponses = {
    200: { ...entityRef, description: `the ${model.name} as this request wrote it`, ...(versioned && { headers: etagHeader }) },
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
      config: { transactional: true },
      ...updateRules.hooks,
      schema: {
        tags,
        summary: versioned ? `${route.summary} (If-Match makes it conditional)` : route.summary,
        ...updateRules.security,
        params,
        querystring: NO_QUERY_SCHEMA,
        ...(versioned && { headers: conditionalHeaders('if-match') }),
        body: { $ref: `${route.body}#` },
        response: updateResponses
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
  return { create, createConfig }
}

/** What the nested POST reuses of an entity's write routes. */
export type EntityWrites = ReturnType<typeof registerWriteRoutes>
