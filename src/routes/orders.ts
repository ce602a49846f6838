import type { FastifyInstance } from 'fastify'

/** Placeholder: `POST /orders` (issue 2, item 6) is built here. */
export default async function orderRoutes(_app: FastifyInstance) {}
