import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import type { JsonSchema } from './kinds'
import { offsetSchema } from './list/value-schemas'
import { refuseDeepOffset } from './list/parse'

export interface OffsetBoundOptions {
  /** REST_MAX_OFFSET; 0 = no bound. */
  maxOffset: number
}

/**
 * Puts REST_MAX_OFFSET on every generated list route (those whose query string takes both
 * `offset` and `cursor`): as the `maximum` of the offset parameter, so OpenAPI and validation
 * state it, and as a preValidation check, so a deeper offset gets the `offset-too-deep` problem
 * that names the cursor rather than a bare "must be <= N". Registered before the REST routes
 * and the OpenAPI plugin; a route hook rather than a route option, so the bound is configured
 * in one place for every entity without the routes knowing the config.
 */
async function offsetBound(app: FastifyInstance, { maxOffset }: OffsetBoundOptions) {
  const refuse = async (request: FastifyRequest) => refuseDeepOffset((request.query as Record<string, unknown>)?.offset, maxOffset)
  app.addHook('onRoute', (route: RouteOptions) => {
    const querystring = route.schema?.querystring as JsonSchema | undefined
    const properties = querystring?.properties as Record<string, JsonSchema> | undefined
    if (properties?.offset === undefined || properties.cursor === undefined) return
    route.schema = { ...route.schema, querystring: { ...querystring, properties: { ...properties, offset: offsetSchema(maxOffset) } } }
    const existing = route.preValidation === undefined ? [] : Array.isArray(route.preValidation) ? route.preValidation : [route.preValidation]
    route.preValidation = [refuse, ...existing]
  })
}

export default fp(offsetBound, { name: 'lifeguard-offset-bound', fastify: '5.x' })
