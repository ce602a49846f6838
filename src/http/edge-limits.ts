import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config'
import { onceEvery } from './log-throttle'
import { sendProblem } from './send-problem'

/** At most one "connections dropped" warning per this long: a flood must not become a log flood. */
const DROP_WARNING_INTERVAL_MS = 10_000

/** Query-string parameters in a URL: `&`-separated pairs, empty ones not counted (`?a=1&&b=2` has 2). */
export function queryParameterCount(url: string): number {
  const start = url.indexOf('?')
  if (start === -1) return 0
  let count = 0
  let pairStart = start + 1
  for (let i = pairStart; i <= url.length; i++) {
    if (i === url.length || url.charCodeAt(i) === 38 /* & */) {
      if (i > pairStart) count++
      pairStart = i + 1
    }
  }
  return count
}

/**
 * Limits that are not Fastify options:
 * - `server.maxConnections` (HTTP_MAX_CONNECTIONS): Node closes a socket over the cap as soon as
 *   it is accepted, before a byte is parsed, so idle or slow clients cannot take the process's
 *   file descriptors and memory. No response is possible that early; the refusal is logged.
 * - a bound on query-string parameters (HTTP_MAX_QUERY_PARAMETERS), checked in onRequest,
 *   before validation: a 16 KiB request line holds thousands of keys, each parsed into the
 *   query object and walked by ajv, where the list grammar never needs more than a few dozen.
 */
async function edgeLimits(app: FastifyInstance, { config }: { config: Config }) {
  if (config.HTTP_MAX_CONNECTIONS > 0) {
    app.server.maxConnections = config.HTTP_MAX_CONNECTIONS
    const warningGate = onceEvery(DROP_WARNING_INTERVAL_MS)
    app.server.on('drop', () => {
      const heldBack = warningGate()
      // `dropped`: this refusal and those held back since the last warning.
      if (heldBack >= 0) app.log.warn({ dropped: heldBack + 1, maxConnections: config.HTTP_MAX_CONNECTIONS }, 'connections refused: HTTP_MAX_CONNECTIONS reached')
    })
  }
  const maxParameters = config.HTTP_MAX_QUERY_PARAMETERS
  // A callback hook, not async: it runs on every request, and a promise per request shows in get-by-id's profile.
  app.addHook('onRequest', function boundQueryParameters(request, reply, done) {
    const count = queryParameterCount(request.url)
    if (count <= maxParameters) return done()
    sendProblem(reply, 'too-many-query-parameters', `the query string has ${count} parameters; at most ${maxParameters} are accepted`)
  })
}

export default fp(edgeLimits, { name: 'lifeguard-edge-limits', fastify: '5.x' })
