import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

/** Placeholder: Prometheus `/metrics` (issue 3, item 9) is built here. */
async function metrics(_app: FastifyInstance) {}

export default fp(metrics, { name: 'lifeguard-metrics', fastify: '5.x' })
