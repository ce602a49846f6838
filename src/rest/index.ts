import type { FastifyInstance } from 'fastify'
import { createBodySchema, entitySchema, patchBodySchema, replaceBodySchema } from './json-schemas'
import { registerReadRoutes } from './read-routes'
import { buildResourceModel } from './resource-model'
import { ResourceReader } from './resource-reader'
import { getRestResource } from './resource'
import { registerWriteRoutes } from './write-routes'

export interface RestRoutesOptions {
  entities: Function[]
}

/**
 * Entity REST routes (DESIGN.md "REST contract") for every entity in `entities` that carries
 * `@RestResource`: its schemas are added once and shared by `$ref`, then its routes are
 * registered. Everything per entity is computed here, at start-up, from TypeORM's metadata.
 */
export default async function restRoutes(app: FastifyInstance, { entities }: RestRoutesOptions) {
  for (const entity of entities) {
    if (getRestResource(entity) === undefined) continue
    const model = buildResourceModel(app.db.getMetadata(entity))
    for (const schema of [entitySchema(model), createBodySchema(model), replaceBodySchema(model), patchBodySchema(model)]) {
      app.addSchema(schema)
    }
    const reader = new ResourceReader(app.db, model)
    registerReadRoutes(app, model, reader)
    registerWriteRoutes(app, model, reader)
  }
}
