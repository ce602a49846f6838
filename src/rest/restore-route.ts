import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { NotFoundError } from '../http/errors'
import type { EntityEvents } from './entity-events'
import { parseId } from './ids'
import { NO_QUERY_SCHEMA, paramsSchema, schemaIds } from './json-schemas'
import type { ResourceModel } from './resource-model'
import type { ResourceReader } from './resource-reader'
import { requestTransactionConfig, transactionAccess } from './row-source'
import { problemResponses, RESPONSE_HEADERS } from './route-schemas'
import { WriteStatements } from './write-sql'
import { fullGrant } from './access'
import { routeAccess } from './route-access'
import { setEtag } from './row-answers'

type Row = Record<string, unknown>

/**
 * `POST /<entity>/:id/restore` for an entity with `@DeleteDateColumn` that exposes delete: the
 * soft delete undone. The stamp is cleared and the version bumped (as TypeORM's `recover`
 * does), under the same roles and owner rule as DELETE, with the Recover entity events; the
 * answer is the row as it now is. A row that is not deleted is answered as it is (restoring is
 * idempotent); one that does not exist, deleted or not, is a 404.
 */
export function registerRestoreRoute(app: FastifyInstance, model: ResourceModel, reader: ResourceReader, events: EntityEvents | undefined) {
  if (!model.deleteDate || !model.operations.has('delete')) return
  const statements = new WriteStatements(model, undefined)
  const everything = fullGrant(model)
  const rules = routeAccess(app, model, 'delete')
  app.post<{ Params: { id: unknown } }>(
    `${model.path}/:id/restore`,
    {
      ...rules.hooks,
      config: requestTransactionConfig(events),
      schema: {
        tags: [model.name],
        summary: `Restore a deleted ${model.name} (undo its soft delete)`,
        ...rules.security,
        params: paramsSchema(model),
        querystring: NO_QUERY_SCHEMA,
        response: {
          200: { $ref: `${schemaIds(model).entity}#`, description: `the ${model.name}, no longer deleted`, ...(model.version && { headers: { etag: RESPONSE_HEADERS.etag } }) },
          ...problemResponses(400, ...rules.problems, 404, 409, 503)
        }
      }
    },
    async function restore(request: FastifyRequest<{ Params: { id: unknown } }>, reply: FastifyReply) {
      const id = parseId(model, request.params.id)
      const { owner, readable } = request.grant ?? everything
      const access = await transactionAccess(request, events)
      const deleted = events ? await reader.lockDeletedRawById(id, access, owner) : undefined
      const pair = deleted && events!.pairOf(deleted, model.readable, [])
      if (pair) await events!.before('Recover', access.runner!, pair.entity, pair.databaseEntity, [])
      const { statement, values } = statements.restore(id, owner)
      const result = (await access.run(statement, values)) as unknown as { affectedRows: number }
      if (pair && result.affectedRows > 0) await events!.after('Recover', access.runner!, pair.entity, pair.databaseEntity)
      const row: Row | undefined = await reader.findById(id, readable, access, owner)
      if (row === undefined) throw new NotFoundError(`${model.name} ${String(id)} does not exist`)
      setEtag(reply, reader, row)
      return reply.code(200).send(row)
    }
  )
}
