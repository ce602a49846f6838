import fp from 'fastify-plugin'
import type { FastifyInstance, onSendHookHandler } from 'fastify'
import { scopeEveryHandler } from './handler-scope'
import { hookList } from '../route-hooks'
import { newBorrowTiming, type BorrowTiming } from '../pool/borrow-timing'

declare module 'fastify' {
  interface FastifyRequest {
    /** Where this request's database time went (Server-Timing), while HTTP_SERVER_TIMING is on. */
    borrowTiming: BorrowTiming | null
  }
}

export interface ServerTimingOptions {
  /** HTTP_SERVER_TIMING. */
  enabled: boolean
}

const kTimed = Symbol('lifeguard.serverTimingHandler')

/**
 * `Server-Timing: pool;dur=<ms waiting to borrow>, db;dur=<ms in statements>` on the responses of
 * every route added after this plugin (the REST and order routes: health, metrics and docs come
 * before it and do not carry it). Cheap by construction, because get-by-id runs thousands a second: the
 * pool guard adds performance.now() differences to one object per request (src/pool/borrow-timing.ts)
 * and the header is formatted once, in onSend. No AsyncLocalStorage: the handler's synchronous
 * run tells the guard whose borrows these are (PoolGuard.timedBorrower says what that covers).
 */
async function serverTiming(app: FastifyInstance, { enabled }: ServerTimingOptions) {
  if (app.hasRequestDecorator('borrowTiming')) throw new Error('the server-timing plugin is registered twice')
  app.decorateRequest('borrowTiming', null)
  if (!enabled) return
  const guard = app.poolGuard

  scopeEveryHandler(
    app,
    kTimed,
    {
      enter(request) {
        const outer = guard.timedBorrower
        guard.timedBorrower = request.borrowTiming = newBorrowTiming()
        return outer
      },
      exit(outer) {
        guard.timedBorrower = outer
      }
    },
    (route) => {
      route.onSend = [...hookList(route.onSend), addServerTimingHeader]
    }
  )
}

/**
 * Formatted once per response; a request that failed before its handler ran has no timing and no
 * header. A callback hook, like the other per-request hooks on the hot path (security-headers.ts,
 * host-check.ts): an async one costs a promise and a microtask on every response.
 */
const addServerTimingHeader: onSendHookHandler = function addServerTimingHeader(request, reply, payload, done) {
  const timing = request.borrowTiming
  if (timing !== null) reply.header('server-timing', serverTimingValue(timing))
  done(null, payload)
}

/** The header's value in W3C Server Timing syntax: durations in milliseconds, two decimals. */
export function serverTimingValue(timing: BorrowTiming): string {
  return `pool;dur=${timing.poolWaitMs.toFixed(2)}, db;dur=${timing.statementMs.toFixed(2)}`
}

export default fp(serverTiming, { name: 'lifeguard-server-timing', fastify: '5.x', dependencies: ['lifeguard-db'] })
