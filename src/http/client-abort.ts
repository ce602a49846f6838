import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { scopeEveryHandler } from './handler-scope'

const kAttributed = Symbol('lifeguard.borrowerAttributedHandler')

/**
 * Links a request to the pool borrows made for it, so a client that hangs up stops costing the
 * database: its borrows still waiting in the pool's queue are cancelled (never handed a
 * connection, so aborted requests do not eat capacity under overload) and its statements
 * running on lent connections are killed on the server (KILL QUERY; src/pool/pool-guard.ts,
 * abandon). One-shot reads (executePooled) and request transactions alike; the transaction
 * scope additionally rolls back (src/db/transaction-scope.ts).
 *
 * The link is the request itself, set as the guard's currentBorrower during the synchronous
 * run of the handler of every route added after this plugin, as the Server-Timing plugin does
 * for timing and for the same reason (no AsyncLocalStorage: on Node 20 its promise hooks cost
 * every promise of every request). Code that borrows again after an await keeps the request's
 * attribution and borrows under it (PoolGuard.borrowAs): the built-in read routes do, for a
 * list's count and embeds (src/rest/row-source.ts). What this does not see: a hand-written
 * route's borrow after its handler's first await outside a request transaction.
 * The abort itself is counted and logged by the metrics plugin (http_requests_aborted_total).
 */
async function clientAbort(app: FastifyInstance) {
  const guard = app.poolGuard

  scopeEveryHandler(app, kAttributed, {
    enter(request) {
      const outer = guard.currentBorrower
      guard.currentBorrower = request
      return outer
    },
    exit(outer) {
      guard.currentBorrower = outer
    }
  })

  // Only a request whose client closed before the response was complete (Fastify checks req.aborted).
  // Every node's guard: with replicas, a read's borrows may wait or run on one (src/pool/read-router.ts).
  const guards = app.dbNodes.map((node) => node.guard)
  app.addHook('onRequestAbort', async (request) => {
    for (const nodeGuard of guards) nodeGuard.abandon(request)
  })
}

export default fp(clientAbort, { name: 'lifeguard-client-abort', fastify: '5.x', dependencies: ['lifeguard-db'] })
