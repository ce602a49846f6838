import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { NotFoundError, ValidationFailedError } from '../http/errors'
import { fullGrant, grantFor } from './access'
import { parseId } from './ids'
import { createBodySchema, paramsSchema } from './json-schemas'
import { answerList, listOkResponse, listRequestHeaders } from './list-answer'
import type { ListReader } from './list/list-reader'
import { kebabCase } from './naming'
import type { RestRelation } from './relations'
import type { ResourceModel } from './resource-model'
import type { ResourceReader } from './resource-reader'
import { routeAccess } from './route-access'
import { problemResponses, RESPONSE_HEADERS } from './route-schemas'
import type { EntityCreate } from './create-route'

type NestedRequest = FastifyRequest<{ Params: { id: unknown }; Querystring: Record<string, unknown>; Body: Record<string, unknown> }>

/** What the nested routes of one to-many relation need of the two entities' routes. */
export interface NestedParts {
  parent: ResourceModel
  parentReader: ResourceReader
  relation: RestRelation
  /** The related entity's list reads and, when it exposes create, its POST. */
  lists: ListReader
  writes: EntityCreate
  /** REST_EXPLAIN: Accept: application/vnd.lifeguard.plan+json answers the plan. */
  explainPlans: boolean
}

/**
 * `GET /authors/:id/books` and `POST /authors/:id/books` for an includable to-many relation
 * whose key references the parent's primary key: the related entity's own list (its whole
 * grammar) and create, with the foreign key taken from the path. A parent that does not exist
 * — or that the caller may not see — is a 404, an existing one with no related rows `[]`.
 */
export function registerNestedRoutes(app: FastifyInstance, parts: NestedParts): void {
  const { parent, parentReader, relation, lists, writes, explainPlans } = parts
  const { target, foreignKey } = relation
  if (relation.kind !== 'to-many' || !foreignKey || relation.parentColumn !== parent.primary.sqlColumn) return
  const path = `${parent.path}/:id/${kebabCase(relation.name)}`
  const params = paramsSchema(parent)
  const tags = [target.name]

  /** The parent's key, or a 404: the parent must exist and be visible to the caller (its read roles, its owner rule). */
  const parentKey = async (request: NestedRequest): Promise<unknown> => {
    const id = parseId(parent, request.params.id)
    const grant = request.grant ? grantFor(parent, request.caller!, 'read') : fullGrant(parent)
    const found = await parentReader.findById(id, [parent.primary], undefined, grant.owner)
    if (found === undefined) throw new NotFoundError(`${parent.name} ${String(id)} does not exist`)
    return id
  }

  if (target.operations.has('list')) {
    const access = routeAccess(app, target, 'list')
    app.get(
      path,
      {
        ...access.hooks,
        schema: {
          ...access.security,
          tags,
          summary: `List the ${relation.name} of one ${parent.name}, with the whole list grammar of ${target.path}`,
          params,
          querystring: lists.grammar.querySchema,
          headers: listRequestHeaders(explainPlans),
          response: {
            200: listOkResponse(target, explainPlans),
            ...problemResponses(400, ...access.problems, 404, 503)
          }
        }
      },
      async function listNested(request: NestedRequest, reply: FastifyReply) {
        const query = lists.parse(request.query, request.grant ?? fullGrant(target), request.grant ? request.caller! : undefined)
        const key = await parentKey(request)
        query.where.unshift({ field: foreignKey, op: 'eq', value: key, negated: false })
        return answerList(request, reply, lists, query, explainPlans)
      }
    )
  }

  if (target.operations.has('create') && target.creatable.includes(foreignKey)) {
    const access = routeAccess(app, target, 'create')
    const body = createBodySchema(target)
    delete body.$id
    body.title = `${target.name} to create in a ${parent.name} (${foreignKey.name} comes from the path)`
    if (Array.isArray(body.required)) body.required = body.required.filter((name) => name !== foreignKey.name)
    app.post(
      path,
      {
        ...access.hooks,
        config: writes.createConfig,
        schema: {
          ...access.security,
          tags,
          summary: `Create a ${target.name} in one ${parent.name}`,
          params,
          body,
          response: {
            201: { $ref: `${target.name}#`, description: 'created', headers: { location: RESPONSE_HEADERS.location } },
            ...problemResponses(400, ...access.problems, 404, 409, 413, 415, 422, 503)
          }
        }
      },
      async function createNested(request: NestedRequest, reply: FastifyReply) {
        const key = await parentKey(request)
        const value = foreignKey.codec.fromDatabase(key)
        const sent = request.body[foreignKey.name]
        if (sent !== undefined && sent !== value) {
          const message = `must be ${JSON.stringify(value)}, the ${parent.name} of the path, or left out`
          throw new ValidationFailedError(`body.${foreignKey.name} ${message}`, [{ path: `body.${foreignKey.name}`, message }])
        }
        request.body = { ...request.body, [foreignKey.name]: value }
        return writes.create(request, reply)
      }
    )
  }
}
