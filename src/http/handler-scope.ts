import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod, RouteOptions } from 'fastify'

/** What a wrapper does around each handler call: `enter` before it (returning what `exit` restores), `exit` after its synchronous run. */
export interface HandlerScope<Saved> {
  enter(request: FastifyRequest): Saved
  exit(saved: Saved): void
}

/**
 * Wraps the handler of every route added to `app` from now on in `scope`, for the handler's
 * synchronous run: how the pool guard learns whose borrows these are (server-timing.ts,
 * client-abort.ts) without AsyncLocalStorage, whose promise hooks cost every promise of every
 * request on Node 20. No closure is made per request. `mark` keeps a route from being wrapped
 * twice (the HEAD route Fastify derives from a GET arrives already wrapped); the inner
 * handler's own marks (the transaction scope's) stay visible on the wrapper. `also` adjusts the
 * route once it is wrapped.
 */
export function scopeEveryHandler<Saved>(app: FastifyInstance, mark: symbol, scope: HandlerScope<Saved>, also?: (route: RouteOptions) => void): void {
  app.addHook('onRoute', (route) => {
    if (mark in route.handler) return
    const handler = route.handler as RouteHandlerMethod
    const scoped = function scopedHandler(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      const saved = scope.enter(request)
      try {
        return handler.call(this, request, reply)
      } finally {
        scope.exit(saved)
      }
    }
    route.handler = Object.assign(scoped, handler, { [mark]: true as const })
    also?.(route)
  })
}
