import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { In, type FindOptionsWhere, type ObjectLiteral } from 'typeorm'
import { NotFoundError, PreconditionFailedError } from '../http/errors'
import { strictBodyTypes } from './body-types'
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

  const sendRow = async (reply: FastifyReply, id: unknown, status: number) => {
    const row = await reader.findById(id)
    // Only reachable if the row vanished between the write and the read: a concurrent DELETE.
    if (row === undefined) throw new NotFoundError(`${model.name} ${String(id)} was deleted concurrently`)
    const etag = reader.etagOf(row)
    if (etag !== undefined) reply.header('etag', etag)
    return reply.code(status).send(row)
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

  /**
   * INSERT through TypeORM (transformers, version column, subscribers) and return the new id.
   * With an AUTO_INCREMENT key, TypeORM's own re-SELECT of generated columns is skipped
   * (updateEntity(false)): the response is read back on the fast path anyway, and that
   * re-SELECT through a QueryBuilder costs more than the INSERT itself.
   */
  const insertRow = async (values: Body): Promise<unknown> => {
    if (model.primaryAutoIncrement && values[model.primary.name] === undefined) {
      const result = await repository.createQueryBuilder().insert().values(values).updateEntity(false).execute()
      return (result.raw as { insertId: number }).insertId
    }
    const result = await repository.insert(values)
    return result.identifiers[0]?.[model.primary.name] ?? values[model.primary.name]
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
        const id = await insertRow(request.body)
        reply.header('location', `${model.path}/${String(id)}`)
        return sendRow(reply, id, 201)
      }
    )
  }

  // TypeORM sets the update-date column to CURRENT_TIMESTAMP, dropping its fractional seconds.
  const updateDate = model.metadata.updateDateColumn
  const stampUpdateDate = updateDate?.precision
    ? { [updateDate.propertyName]: () => `CURRENT_TIMESTAMP(${Number(updateDate.precision)})` }
    : {}

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

  if (model.operations.has('update')) {
    app.patch<WriteGeneric>(
      `${model.path}/:id`,
      {
        preValidation,
        schema: {
          tags,
          summary: `Change some fields of a ${model.name} (If-Match makes it conditional)`,
          params,
          body: { $ref: `${ids.patch}#` },
          response: updateResponses
        }
      },
      update
    )
  }

  if (model.operations.has('replace')) {
    app.put<WriteGeneric>(
      `${model.path}/:id`,
      {
        preValidation,
        schema: {
          tags,
          summary: `Replace every writable field of a ${model.name} (If-Match makes it conditional)`,
          params,
          body: { $ref: `${ids.replace}#` },
          response: updateResponses
        }
      },
      update
    )
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
