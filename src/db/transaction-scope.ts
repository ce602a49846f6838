import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

/** Placeholder: the request-scoped transaction a route opts into (issue 2, item 6) is built here. */
async function transactionScope(_app: FastifyInstance) {}

export default fp(transactionScope, { name: 'lifeguard-transaction-scope', fastify: '5.x', dependencies: ['lifeguard-db'] })
