import type { FastifyInstance } from 'fastify'
import { EntityEvents, needsEntityEvents } from './entity-events'
import { rowSourceFor } from './row-source'
import { createBodySchema, entitySchema, patchBodySchema, replaceBodySchema } from './json-schemas'
import { registerReadRoutes } from './read-routes'
import { buildResourceModel } from './resource-model'
import { linkRelations } from './relations'
import { ResourceReader } from './resource-reader'
import { getRestResource } from './resource'
import { registerWriteRoutes } from './write-routes'
import { registerCreateRoute } from './create-route'
import { registerFilterWrites } from './filter-writes'
import { registerRestoreRoute } from './restore-route'
import { registerNestedRoutes } from './nested-routes'
import { ListReader, type ListCosts } from './list/list-reader'

export interface RestRoutesOptions {
  entities: Function[]
  /** REST_BULK_MAX: most rows one POST may create as an array. */
  bulkMax: number
  /** REST_MAX_SCAN_ROWS and REST_COUNT_EXACT_BELOW. */
  listCosts?: ListCosts
  /** REST_EXPLAIN: list routes answer their plan to Accept: application/vnd.lifeguard.plan+json. */
  explainPlans?: boolean
}

/**
 * Entity REST routes (DESIGN.md "REST contract") for every entity in `entities` that carries
 * `@RestResource`: its schemas are added once and shared by `$ref`, then its routes are
 * registered. Everything per entity is computed here, at start-up, from TypeORM's metadata.
 */
export default async function restRoutes(app: FastifyInstance, { entities, bulkMax, listCosts, explainPlans = false }: RestRoutesOptions) {
  const models = entities.filter((entity) => getRestResource(entity) !== undefined).map((entity) => buildResourceModel(app.db.getMetadata(entity)))
  linkRelations(models)
  for (const model of models) {
    // Only the bodies of exposed operations: a generated client would type bodies nobody can send.
    app.addSchema(entitySchema(model))
    if (model.operations.has('create')) app.addSchema(createBodySchema(model))
    if (model.operations.has('replace')) app.addSchema(replaceBodySchema(model))
    if (model.operations.has('update')) app.addSchema(patchBodySchema(model))
  }
  // Entity schemas refer to each other (`author` in a Book), so every one is added before any route.
  const parts = new Map(
    models.map((model) => {
      const events = needsEntityEvents(app.db, model.metadata) ? new EntityEvents(app.db, model) : undefined
      const source = rowSourceFor(app.db, events)
      const reader = new ResourceReader(model, source)
      const lists = new ListReader(model, source, listCosts)
      registerReadRoutes(app, model, reader, lists, { explainPlans })
      registerWriteRoutes(app, model, reader, events)
      registerFilterWrites(app, model, reader, lists, events, { bulkMax })
      registerRestoreRoute(app, model, reader, events)
      return [model, { reader, lists, writes: registerCreateRoute(app, model, reader, events, { bulkMax }) }] as const
    })
  )
  for (const [parent, { reader }] of parts) {
    for (const relation of parent.includable.values()) {
      const { lists, writes } = parts.get(relation.target)!
      registerNestedRoutes(app, { parent, parentReader: reader, relation, lists, writes, explainPlans })
    }
  }
}
