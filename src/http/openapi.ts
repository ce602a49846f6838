import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'

/**
 * OpenAPI 3 from the same route schemas that validate and serialise, served at
 * `/openapi.json`, with Swagger UI at `/docs`. Registered before the routes so
 * @fastify/swagger sees every one of them.
 */
async function openapi(app: FastifyInstance) {
  await app.register(swagger, {
    // Shared schemas keep their $id as component name (Book, BookCreate, Problem) instead of def-N.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`)
    },
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Lifeguard',
        version: '0.1.0',
        description: 'REST routes for every exposed entity, over a guarded MySQL/MariaDB pool.'
      }
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}

export default fp(openapi, { name: 'lifeguard-openapi', fastify: '5.x' })
