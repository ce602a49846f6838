import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { sendProblem } from './problem-handler'
import { probeDatabase } from '../pool/readiness-probe'

/** How long `/health/ready` waits for `SELECT 1` before calling the database unreachable. */
export const READY_CHECK_TIMEOUT_MS = 1_000

const HealthBody = Type.Object({ status: Type.String() })

/**
 * `/health/live`: the process serves HTTP. `/health/ready`: it can also reach the database
 * through the pool right now (a load balancer should stop sending traffic otherwise). It
 * recovers by itself: every check borrows afresh, and the pool replaces dead connections.
 */
export default async function healthRoutes(app: FastifyInstance) {
  app.get(
    '/health/live',
    { schema: { tags: ['health'], response: { 200: HealthBody } } },
    async () => ({ status: 'ok' })
  )

  app.get(
    '/health/ready',
    { schema: { tags: ['health'], response: { 200: HealthBody } } },
    async (request, reply) => {
      try {
        // The ping has its own timeout; the outer one bounds the wait for a free connection.
        await withTimeout(probeDatabase(app.poolGuard, READY_CHECK_TIMEOUT_MS), READY_CHECK_TIMEOUT_MS)
        return { status: 'ok' }
      } catch (err) {
        request.log.warn({ err }, 'readiness check failed')
        return sendProblem(reply, 'not-ready', 'the database is not reachable', { retryAfterSeconds: 1 })
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
