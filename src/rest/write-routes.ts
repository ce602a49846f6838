import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { In, type FindOptionsWhere, type ObjectLiteral } from 'typeorm'
import type { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver'
import { NotFoundError, PreconditionFailedError } from '../http/errors'
import { strictBodyTypes } from './body-types'
import { FastInserter, fastInsertApplies } from './fast-insert'
import { updateDateStamp } from '../db/update-date-stamp'
import { paramsSchema, schemaIds } from './json-schemas'
import { ifMatchVersions } from './preconditions'
import type { ResourceModel } from './resource-model'
import type { ResourceReader } from './resource-reader'
import { problemResponses, RESPONSE_HEADERS } from './route-schemas'

type Body = Record<string, unknown>
type WriteGeneric = { Params: { id: number | string }; Body: Body }
type WriteRequest = FastifyRequest<WriteGeneric>

/**
 * POST, PATCH, PUT and DELETE through TypeORM's repository (so transformers, the version
 * column and the update-date column behave as TypeORM defines them), each answered with the
 * row as the fast read path returns it, so a write and a later GET show the same JSON.
 */
export function registerWriteRoutes(app: FastifyInstance, model: ResourceModel, reader: ResourceReader) {
  const repository = app.db.getRepository<ObjectLiteral>(model.entity)
  const ids = schemaIds(model)
  const entityRef = { $ref: `${ids.entity}#` }
  const params = paramsSchema(model)
  const tags = [model.name]
  const preValidation = strictBodyTypes(model)

  const sendAnswer = (reply: FastifyReply, row: Record<string, unknown>, status: number) => {
    const etag = reader.etagOf(row)
    if (etag !== undefined) reply.header('etag', etag)
    return reply.code(status).send(row)
  }

  /** Answers with the row as stored, read back on the fast path. */
  const sendRow = async (reply: FastifyReply, id: unknown, status: number) => {
    const row = await reader.findById(id)
    // Only reachable if the row vanished between the write and the read: a concurrent DELETE.
    if (row === undefined) throw new NotFoundError(`${model.name} ${String(id)} was deleted concurrently`)
    return sendAnswer(reply, row, status)
  }

  /** 404 when the row is missing, else 412: the only reasons a keyed conditional write touches nothing. */
  const explainNoRowAffected = async (id: unknown): Promise<never> => {
    if ((await reader.findById(id)) === undefined) throw new NotFoundError(`${model.name} ${String(id)} does not exist`)
    throw new PreconditionFailedError(`${model.name} ${String(id)} has changed: If-Match does not match its current ETag`)
  }

  /** The row's key plus what If-Match demands of its version; undefined when If-Match can never hold. */
  const keyedWhere = (request: WriteRequest): FindOptionsWhere<ObjectLiteral> | undefined => {
    const where: FindOptionsWhere<ObjectLiteral> = { [model.primary.name]: request.params.id }
    const header = request.headers['if-match']
    if (header === undefined) return where
    const versions = ifMatchVersions(header)
    if (versions === 'any') return where
    if (model.version === undefined || versions.length === 0) return undefined
    where[model.version.name] = versions.length === 1 ? versions[0] : In(versions)
    return where
  }

  // MariaDB >= 10.5 returns the stored row from the INSERT itself (RETURNING): one round trip.
  const insertReturnsRow = (app.db.driver as MysqlDriver).isReturningSqlSupported('insert')
  const returnedProperties = [...new Set([...reader.returnedProperties, model.primary.name])]

  /**
   * INSERT on the fast path where TypeORM would add nothing (src/rest/fast-insert.ts), else
   * through TypeORM (transformers, version column, subscribers); answers the stored row,
   * shaped as GET shapes it. TypeORM's own re-read of generated columns (updateEntity) is
   * skipped: it hydrates an entity through a QueryBuilder, which costs more than the INSERT.
   */
  const fastInserter = fastInsertApplies(app.db, model) ? new FastInserter(app.db, model, returnedProperties) : undefined

  const insertRow = async (values: Body): Promise<{ id: unknown; row?: Record<string, unknown> }> => {
    if (fastInserter) {
      const raw = await fastInserter.insert(values)
      return { id: raw[model.primary.column], row: reader.fromReturned(raw) }
    }
    // An entity instance, not the plain body: TypeORM calls entity listeners only on instances.
    const insert = repository.createQueryBuilder().insert().values(repository.create(values)).updateEntity(false)
    if (insertReturnsRow) {
      const result = await insert.returning(returnedProperties).execute()
      const raw = (result.raw as Array<Record<string, unknown>>)[0]
      return { id: raw[model.primary.column], row: reader.fromReturned(raw) }
    }
    if (model.primaryAutoIncrement && values[model.primary.name] === undefined) {
      const result = await insert.execute()
      return { id: (result.raw as { insertId: number }).insertId }
    }
    // A key TypeORM generates itself (e.g. a uuid) is only known from its identifiers.
    const result = await repository.insert(repository.create(values))
    return { id: result.identifiers[0]?.[model.primary.name] ?? values[model.primary.name] }
  }

  if (model.operations.has('create')) {
    app.post<{ Body: Body }>(
      model.path,
      {
        preValidation,
        schema: {
          tags,
          summary: `Create a ${model.name}`,
          body: { $ref: `${ids.create}#` },
          response: {
            201: { ...entityRef, description: 'created', headers: { location: RESPONSE_HEADERS.location, etag: RESPONSE_HEADERS.etag } },
            ...problemResponses(400, 409, 413)
          }
        }
      },
      async function create(request: FastifyRequest<{ Body: Body }>, reply: FastifyReply) {
        const { id, row } = await insertRow(request.body)
        reply.header('location', `${model.path}/${String(id)}`)
        return row === undefined ? sendRow(reply, id, 201) : sendAnswer(reply, row, 201)
      }
    )
  }

  const stampUpdateDate = updateDateStamp(model.metadata)

  const update = async (request: WriteRequest, reply: FastifyReply) => {
    const where = keyedWhere(request)
    const result = where === undefined ? undefined : await repository.update(where, { ...request.body, ...stampUpdateDate })
    if (!result?.affected) await explainNoRowAffected(request.params.id)
    return sendRow(reply, request.params.id, 200)
  }
  const updateResponses = {
    200: { ...entityRef, description: `the ${model.name} as stored`, headers: { etag: RESPONSE_HEADERS.etag } },
    ...problemResponses(400, 404, 409, 412, 413)
  }

  // PATCH and PUT differ only in their body schema: both run `update` with what the client sent.
  const updateRoutes = [
    { operation: 'update', method: 'PATCH', body: ids.patch, summary: `Change some fields of a ${model.name}` },
    { operation: 'replace', method: 'PUT', body: ids.replace, summary: `Replace every writable field of a ${model.name}` }
  ] as const
  for (const route of updateRoutes) {
    if (!model.operations.has(route.operation)) continue
    app.route<WriteGeneric>({
      method: route.method,
      url: `${model.path}/:id`,
      preValidation,
      schema: {
        tags,
        summary: `${route.summary} (If-Match makes it conditional)`,
        params,
        body: { $ref: `${route.body}#` },
        response: updateResponses
      },
      handler: update
    })
  }

  if (model.operations.has('delete')) {
    app.delete<WriteGeneric>(
      `${model.path}/:id`,
      {
        schema: {
          tags,
          summary: `Delete a ${model.name} (If-Match makes it conditional)`,
          params,
          response: { 204: { type: 'null', description: 'deleted' }, ...problemResponses(400, 404, 409, 412) }
        }
      },
      async function remove(request: WriteRequest, reply: FastifyReply) {
        const where = keyedWhere(request)
        const result = where === undefined ? undefined : await repository.delete(where)
        if (!result?.affected) await explainNoRowAffected(request.params.id)
        return reply.code(204).send()
      }
    )
  }
}
