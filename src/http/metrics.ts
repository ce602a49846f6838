import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client'
import { registerPoolMetrics } from '../pool/pool-metrics'
import { registerNodeMetrics } from '../pool/node-metrics'
import { registerPositionMetrics } from '../pool/position-metrics'
import { clusterOf } from '../db/pooled-query'

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's own Prometheus registry (never prom-client's global one: tests build many apps). */
    metricsRegistry: Registry
  }
}

/** `/metrics` in Prometheus text: the process, each node's pool gauges, histograms and counters and health, and HTTP durations. */
async function metrics(app: FastifyInstance) {
  if (app.hasDecorator('metricsRegistry')) throw new Error('the metrics plugin is registered twice')
  const registry = new Registry()
  // The process's own: CPU, memory, event-loop lag, GC, handles (prom-client's default set).
  collectDefaultMetrics({ register: registry })
  registerPoolMetrics(registry, app.dbNodes)
  registerNodeMetrics(registry, app.dbNodes)
  const cluster = clusterOf(app.db)
  if (cluster) registerPositionMetrics(registry, cluster.router)
  registerHttpMetrics(registry, app)
  app.decorate('metricsRegistry', registry)

  app.get('/metrics', { schema: { tags: ['metrics'], hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType)
    return registry.metrics()
  })
}

export default fp(metrics, { name: 'lifeguard-metrics', fastify: '5.x', dependencies: ['lifeguard-db'] })

/** Latency buckets for API requests, in seconds: 1 ms to 10 s. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** HTTP request duration by method, route pattern (never the raw URL: bounded cardinality) and status. */
export function registerHttpMetrics(registry: Registry, app: FastifyInstance): void {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: HTTP_BUCKETS,
    registers: [registry]
  })
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    duration.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000
    )
  })
  // A client that hangs up is no response: the histogram above may never see it, though its
  // request may have done real work (an order placed, then nobody to tell).
  const aborted = new Counter({
    name: 'http_requests_aborted_total',
    help: 'requests whose client closed the connection before the response was complete, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    registers: [registry]
  })
  app.addHook('onRequestAbort', async (request) => {
    const route = request.routeOptions.url ?? 'unmatched'
    aborted.inc({ method: request.method, route })
    request.log.info({ route }, 'client closed the request before its response')
  })
}
