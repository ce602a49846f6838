import type { FastifyInstance } from 'fastify'

export interface RestRoutesOptions {
  entities: Function[]
}

/** Placeholder: the generic entity routes (issue 2, item 5) are built here. */
export default async function restRoutes(_app: FastifyInstance, _options: RestRoutesOptions) {}
