import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { PROBLEM_SCHEMA_ID, sendProblem } from './problem-handler'
import type { DbNode } from '../db/plugin'
import { outcomeOfUnreachable, registerReadinessMetrics } from './readiness-metrics'

/** How long `/health/ready` waits for `SELECT 1` before calling the database unreachable. */
export const READY_CHECK_TIMEOUT_MS = 1_000

/** Seconds the 503 tells a client to wait before asking again (the Retry-After header). */
const READY_RETRY_AFTER_SECONDS = 1

const HealthBody = Type.Object({ status: Type.Literal('ok', { description: 'always "ok" when the check passed' }) })

const healthy = (what: string) => ({ ...HealthBody, description: what })

const ReadyBody = Type.Object({
  status: Type.Literal('ok', { description: 'the database answered a ping' }),
  pool: Type.Object(
    {
      total: Type.Integer(),
      idle: Type.Integer(),
      active: Type.Integer(),
      pending: Type.Integer({ description: 'borrowers waiting for a connection' }),
      max: Type.Integer(),
      saturated: Type.Boolean({ description: 'every connection is lent and borrowers are waiting; this does not fail readiness' })
    },
    { description: 'the pool right now (the same figures as db_pool_connections_* in /metrics)' }
  ),
  replicas: Type.Optional(
    Type.Array(
      Type.Object({
        node: Type.String({ description: "the replica's host:port (the node label in /metrics)" }),
        up: Type.Boolean({ description: 'it gets reads; a replica down does not fail readiness, its reads go to other replicas or the primary' }),
        lagSeconds: Type.Union([Type.Integer(), Type.Null()], { description: 'Seconds_Behind_Master at its last probe; null while unknown' }),
        reason: Type.String({ description: 'why it is down, or what its last probe found' })
      }),
      { description: 'with DATABASE_REPLICA_URLS only: each read replica as its last probe found it' }
    )
  )
})

/** The 503 a failed readiness check answers (sendProblem below), documented for clients and probes. */
const notReady = {
  description: 'Service Unavailable: the database did not answer through the pool in time',
  headers: {
    'retry-after': { type: 'integer', minimum: 0, description: 'seconds to wait before checking again' }
  },
  content: { 'application/problem+json': { schema: { $ref: `${PROBLEM_SCHEMA_ID}#` } } }
}

function replicaReport({ name, health }: DbNode) {
  return { node: name, up: health!.usable, lagSeconds: health!.lagSeconds, reason: health!.reason }
}

/**
 * `/health/live`: the process serves HTTP. `/health/ready`: the database answers a ping on a
 * connection of the readiness check's own (src/pool/health-connection.ts), so the check never
 * queues behind a busy pool nor touches a pooled connection; it recovers by itself.
 *
 * Readiness follows the primary only: a replica down is reported in the body (`replicas`), its
 * reads go elsewhere (src/pool/read-router.ts), and the instance still serves.
 *
 * A saturated pool does not fail readiness, and is reported as such in the body: at peak
 * every instance is saturated alike, and a load balancer that took one out would only send
 * its load to the others and saturate them more. Saturation is what db_pool_connections_pending
 * and the acquire histogram are for; readiness answers "can this instance reach its database".
 */
export default async function healthRoutes(app: FastifyInstance) {
  // Every check is recorded in /metrics (lifeguard_ready, lifeguard_readiness_checks_total).
  const recordReadiness = registerReadinessMetrics(app.metricsRegistry)
  const replicas = app.dbNodes.filter((node) => node.health !== undefined)
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
        summary: `Readiness: the database answers a ping within ${READY_CHECK_TIMEOUT_MS} ms (on a connection outside the pool)`,
        response: { 200: { ...ReadyBody, description: 'the database answers; the pool as it is now' }, 503: notReady }
      }
    },
    async (request, reply) => {
      // Shutting down: out of the load balancer first, while in-flight requests still finish.
      if (app.draining) {
        recordReadiness('draining')
        return sendProblem(reply, 'not-ready', 'the instance is shutting down', { retryAfterSeconds: READY_RETRY_AFTER_SECONDS })
      }
      const check = await app.poolGuard.checkReachable(READY_CHECK_TIMEOUT_MS)
      if (!check.reachable) {
        recordReadiness(outcomeOfUnreachable(check.reason))
        request.log.warn({ reason: check.reason, elapsedMs: check.elapsedMs }, 'readiness check failed')
        const detail =
          check.reason === 'timeout'
            ? `the database did not answer a ping within ${READY_CHECK_TIMEOUT_MS} ms`
            : check.reason === 'wsrep_not_ready'
              ? 'the database node is not in the primary component of its Galera cluster (wsrep_ready is OFF)'
              : `the database is not reachable (${check.reason})`
        return sendProblem(reply, 'not-ready', detail, { retryAfterSeconds: READY_RETRY_AFTER_SECONDS })
      }
      recordReadiness('ok')
      const { total, idle, active, pending, max } = app.poolGuard.stats()
      const pool = { total, idle, active, pending, max, saturated: pending > 0 && idle === 0 }
      if (replicas.length === 0) return { status: 'ok' as const, pool }
      return { status: 'ok' as const, pool, replicas: replicas.map(replicaReport) }
    }
  )
}
