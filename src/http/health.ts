import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { PROBLEM_SCHEMA_ID, sendProblem } from './problem-handler'
import { probeDatabase } from '../pool/readiness-probe'

/** How long `/health/ready` waits for `SELECT 1` before calling the database unreachable. */
export const READY_CHECK_TIMEOUT_MS = 1_000

/** Seconds the 503 tells a client to wait before asking again (the Retry-After header). */
const READY_RETRY_AFTER_SECONDS = 1

const HealthBody = Type.Object({ status: Type.Literal('ok', { description: 'always "ok" when the check passed' }) })

const healthy = (what: string) => ({ ...HealthBody, description: what })

/** The 503 a failed readiness check answers (sendProblem below), documented for clients and probes. */
const notReady = {
  description: 'Service Unavailable: the database did not answer through the pool in time',
  headers: {
    'retry-after': { type: 'integer', minimum: 0, description: 'seconds to wait before checking again' }
  },
  content: { 'application/problem+json': { schema: { $ref: `${PROBLEM_SCHEMA_ID}#` } } }
}

/**
 * `/health/live`: the process serves HTTP. `/health/ready`: it can also reach the database
 * through the pool right now (a load balancer should stop sending traffic otherwise). It
 * recovers by itself: every check borrows afresh, and the pool replaces dead connections.
 */
export default async function healthRoutes(app: FastifyInstance) {
  app.get(
    '/health/live',
    {
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process serves HTTP (never touches the database)',
        response: { 200: healthy('the process is up') }
      }
    },
    async () => ({ status: 'ok' as const })
  )

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        summary: `Readiness: SELECT 1 through the pool answered within ${READY_CHECK_TIMEOUT_MS} ms`,
        response: { 200: healthy('the database answers through the pool'), 503: notReady }
      }
    },
    async (request, reply) => {
      try {
        // The ping has its own timeout; the outer one bounds the wait for a free connection.
        await withTimeout(probeDatabase(app.poolGuard, READY_CHECK_TIMEOUT_MS), READY_CHECK_TIMEOUT_MS)
        return { status: 'ok' as const }
      } catch (err) {
        request.log.warn({ err }, 'readiness check failed')
        return sendProblem(reply, 'not-ready', 'the database is not reachable', { retryAfterSeconds: READY_RETRY_AFTER_SECONDS })
      }
    }
  )
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
