import { AsyncLocalStorage } from 'node:async_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RouteHandlerMethod,
  onResponseHookHandler,
  onSendHookHandler
} from 'fastify'
import type { EntityManager } from 'typeorm'
import { driverErrorOf } from './driver-error'
import { ClientClosedRequestError, RequestTransaction } from './request-transaction'
import { joinRequestTransactions } from './join-request-transaction'
import type { Statement } from './pooled-query'
import { hookList } from '../route-hooks'
import { deferSend, replyCheckpoint, serializedPayload } from './deferred-answer'

/**
 * The request-scoped transaction a route opts into with `config: { transactional: true }`:
 *
 *   app.post('/orders', { config: { transactional: true } }, async (request, reply) => {
 *     const tx = await request.tx()            // borrows the connection, BEGIN
 *     await tx.insert(Order, ...)
 *     await request.transaction(async (em) => ...)   // SAVEPOINT on the same connection
 *     return order                              // COMMIT before the response goes out
 *   })
 *
 * One connection is held from the first `request.tx()` until the answer is settled. For a
 * status below 400 the transaction commits after the handler answered (returned a payload or
 * called reply.send(): the payload is held back, deferred-answer.ts) and before the answer is
 * handed to Fastify, so a failed COMMIT becomes an error response instead of a 201 for a lost
 * write; it rolls back for any error status and when the client goes away, and the connection
 * is released exactly once. A lock wait timeout or deadlock (1205/1213) thrown by the handler's
 * statements or by the COMMIT (a Galera certification failure) re-runs the whole handler on a
 * fresh transaction, up to `retries` times, with the status and headers it had set undone.
 *
 * Handlers must be async and return their result (or `reply`) only once they are done
 * with the database. A hijacked reply is rolled back: nothing marks its success. The payload
 * is serialised before the COMMIT, so a route's preSerialization hooks do not see it.
 * `app.db.transaction()` called inside joins the request transaction too (see
 * join-request-transaction.ts); other `app.db` calls borrow a connection of their own.
 */
export interface TransactionalRouteOptions {
  /** How often a lock conflict (deadlock, lock wait timeout) re-runs the handler; default 2. */
  retries?: number
  /**
   * Whether `app.db.transaction()` called anywhere inside the handler joins the request
   * transaction (default true). Joining needs an AsyncLocalStorage, and on Node 20 its promise
   * hooks, once on, cost every promise of the process: a route that never calls it (the
   * generated REST routes without entity events, POST /orders) sets false.
   */
  joinsDataSourceTransactions?: boolean
}

export const DEFAULT_LOCK_CONFLICT_RETRIES = 2

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Run this route's handler in one request-scoped transaction (src/db/transaction-scope.ts). */
    transactional?: boolean | TransactionalRouteOptions
  }
  interface FastifyRequest {
    /** The request transaction's EntityManager; only on transactional routes (or inside request.transaction). */
    tx(): Promise<EntityManager>
    /**
     * Runs one prepared statement on the request transaction's connection, as TypeORM's
     * query() would (logged, subscribers notified); only on transactional routes.
     */
    txExecute<Row = Record<string, unknown>>(statement: Statement, values: unknown[]): Promise<Row[]>
    /**
     * Runs `work` in a transaction on the request's connection: a savepoint inside the
     * request transaction (or inside an enclosing request.transaction), else a transaction
     * of its own that commits when `work` resolves. Do not run two of them in parallel.
     */
    transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T>
    /**
     * Runs `work` on the request transaction after the handler answered with a success status,
     * before the COMMIT, with the payload as it will be sent (serialised by the route's schema);
     * only while a transactional handler runs. A lock conflict re-runs the handler, and with it
     * the registration.
     */
    beforeCommit(work: BeforeCommit): void
    /**
     * With replicas: the primary's GTID position after the request transaction's commit (the
     * Lifeguard-Position of the answer, src/http/read-your-writes.ts); else undefined.
     */
    committedPosition: string | undefined
  }
}

const kTransaction = Symbol('lifeguard.requestTransaction')
const kHandlerRunning = Symbol('lifeguard.transactionalHandlerRunning')
const kWrapped = Symbol('lifeguard.transactionalHandler')
const kBeforeCommit = Symbol('lifeguard.beforeCommit')

/** Work on the request transaction once the answer is known: gets the payload as it will be sent. */
export type BeforeCommit = (payload: unknown) => Promise<void>

type ScopedRequest = FastifyRequest & {
  [kTransaction]: RequestTransaction | null
  [kHandlerRunning]: boolean
  [kBeforeCommit]: BeforeCommit[]
}

/** The request whose handler (or request.transaction work) the current async call runs for. */
const currentRequest = new AsyncLocalStorage<ScopedRequest>()

async function transactionScope(app: FastifyInstance) {
  if (app.hasRequestDecorator('tx')) throw new Error('the transaction scope is registered twice')
  app.decorateRequest(kTransaction, null)
  app.decorateRequest(kHandlerRunning, false)
  app.decorateRequest(kBeforeCommit, null)
  app.decorateRequest('beforeCommit', requestBeforeCommit)
  app.decorateRequest('committedPosition', undefined)
  app.decorateRequest('tx', requestTx)
  app.decorateRequest('txExecute', requestTxExecute)
  app.decorateRequest('transaction', requestTransaction)
  joinRequestTransactions(app.db, () => currentRequest.getStore()?.[kTransaction] ?? undefined)

  app.addHook('onRoute', (route) => {
    const setting = route.config?.transactional
    // The HEAD route Fastify derives from a GET arrives here already wrapped.
    if (!setting || kWrapped in route.handler) return
    const { retries = DEFAULT_LOCK_CONFLICT_RETRIES, joinsDataSourceTransactions = true } = setting === true ? {} : setting
    route.handler = transactionalHandler(route.handler as RouteHandlerMethod, retries, joinsDataSourceTransactions)
    route.onSend = [...hookList(route.onSend), settleBeforeSend]
    route.onResponse = [...hookList(route.onResponse), releaseLeftovers]
  })
}

function transactionalHandler(handler: RouteHandlerMethod, retries: number, joinsDataSourceTransactions: boolean): RouteHandlerMethod {
  const wrapped: RouteHandlerMethod = joinsDataSourceTransactions
    ? function runInRequestTransaction(this: FastifyInstance, request, reply) {
        return currentRequest.run(request as ScopedRequest, () => runWithRetries(this, handler, retries, request, reply))
      }
    : function runInRequestTransaction(this: FastifyInstance, request, reply) {
        return runWithRetries(this, handler, retries, request, reply)
      }
  return Object.assign(wrapped, { [kWrapped]: true as const })
}

/**
 * Runs the handler in a fresh request transaction and commits before its answer is handed to
 * Fastify; again after a lock conflict — thrown by a statement or by the COMMIT — if nothing was sent.
 */
async function runWithRetries(
  app: FastifyInstance,
  handler: RouteHandlerMethod,
  retries: number,
  request: FastifyRequest,
  reply: FastifyReply
) {
  const scoped = request as ScopedRequest
  let clientGone = Boolean(request.raw.socket?.destroyed)
  // 'close' before the response finished writing means the client went away.
  reply.raw.once('close', () => {
    if (reply.raw.writableFinished) return
    clientGone = true
    scoped[kTransaction]?.abort()
  })

  for (let attempt = 0; ; attempt++) {
    const transaction = new RequestTransaction(app.db, request.log)
    transaction.aborted = clientGone
    scoped[kTransaction] = transaction
    scoped[kBeforeCommit] = []
    scoped[kHandlerRunning] = true
    const checkpoint = replyCheckpoint(reply)
    const answer = deferSend(reply)
    /** Set once the handler answered a success: a failure after it (COMMIT) undoes what that answer set. */
    let answered = false
    try {
      const result = await handler.call(app, request, reply)
      if (reply.sent) {
        // Hijacked: the handler answered by itself, and nothing says it succeeded. It is done
        // with the connection (it returned), so the rollback can run now.
        answer.restore()
        scoped[kHandlerRunning] = false
        await transaction.finish('rollback')
        return result
      }
      if (transaction.aborted) throw new ClientClosedRequestError()
      let payload = answer.payloadOf(result)
      // An Error answered (reply.send(err), or returned) is Fastify's error path, as if thrown.
      if (payload instanceof Error) throw payload
      // An error status rolls back in onSend (settleBeforeSend) once the error answer is written.
      if (reply.statusCode < 400) {
        answered = true
        payload = serializedPayload(reply, payload)
        for (const work of scoped[kBeforeCommit]) await work(payload)
        await transaction.finish('commit')
        request.committedPosition = transaction.position
      }
      scoped[kHandlerRunning] = false
      answer.restore()
      return reply.send(payload)
    } catch (err) {
      answer.restore()
      scoped[kHandlerRunning] = false
      // The handler has settled, so nothing else uses the connection: roll back now, whatever
      // answers the error (a hijacked reply never reaches onSend; an error handler may answer 2xx).
      await transaction.finish('rollback')
      // A success answer that failed to commit must not dress the error answer (the Location of a
      // row never written); headers a handler set for its own error (X-Affected-Count) stay.
      if (answered && !reply.sent) checkpoint.restore()
      if (transaction.aborted) {
        // The statement the abort killed fails as interrupted: that is the abort, not a failure to log as one.
        throw driverErrorOf(err)?.errno === ER_QUERY_INTERRUPTED ? new ClientClosedRequestError() : err
      }
      if (!isLockConflict(err) || attempt >= retries || reply.sent) throw err
      // The next attempt starts from the reply as it was before this one.
      checkpoint.restore()
      request.log.info({ err, attempt: attempt + 1 }, 'lock conflict: re-running the transaction')
      // A little jitter, so two deadlocked requests do not collide again in lockstep.
      await sleep(10 + Math.random() * 40 * (attempt + 1))
    }
  }
}

/** MySQL/MariaDB: the statement was stopped by KILL QUERY (here: the client's abort, src/pool/pool-guard.ts). */
const ER_QUERY_INTERRUPTED = 1317

function isLockConflict(err: unknown): boolean {
  const errno = driverErrorOf(err)?.errno
  return errno === 1205 || errno === 1213
}

/**
 * The handler's wrapper commits a success (runWithRetries); this rolls back an error answer
 * (a thrown error, or a 4xx/5xx the handler sent) before a byte of it is written. A success
 * that arrives here unsettled did not pass the wrapper, and commits as it always did.
 */
const settleBeforeSend: onSendHookHandler = async function settleBeforeSend(request, reply, payload) {
  const transaction = (request as ScopedRequest)[kTransaction]
  if (transaction) {
    await transaction.finish(reply.statusCode < 400 ? 'commit' : 'rollback')
    if (reply.statusCode < 400) request.committedPosition ??= transaction.position
  }
  return payload
}

/** Safety net: a response that bypassed onSend (hijacked, or aborted) must still release. */
const releaseLeftovers: onResponseHookHandler = async function releaseLeftovers(request) {
  const scoped = request as ScopedRequest
  const transaction = scoped[kTransaction]
  // While the handler runs, the handler's own wrapper finishes the transaction when it settles.
  if (!transaction || transaction.isFinished || scoped[kHandlerRunning]) return
  await transaction.finish('rollback')
}

function requestBeforeCommit(this: FastifyRequest, work: BeforeCommit): void {
  const scoped = this as ScopedRequest
  if (!scoped[kHandlerRunning]) throw notTransactional(this)
  scoped[kBeforeCommit].push(work)
}

function requestTx(this: FastifyRequest): Promise<EntityManager> {
  const transaction = (this as ScopedRequest)[kTransaction]
  if (!transaction) return Promise.reject(notTransactional(this))
  return transaction.manager()
}

function requestTxExecute<Row>(this: FastifyRequest, statement: Statement, values: unknown[]): Promise<Row[]> {
  const transaction = (this as ScopedRequest)[kTransaction]
  if (!transaction) return Promise.reject(notTransactional(this))
  return transaction.execute<Row>(statement, values)
}

function notTransactional(request: FastifyRequest): Error {
  return new Error(`${request.routeOptions.url} is not transactional: set config.transactional or use request.transaction()`)
}

async function requestTransaction<T>(this: FastifyRequest, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  const scoped = this as ScopedRequest
  const enclosing = scoped[kTransaction]
  if (enclosing) return enclosing.transaction(work)

  const own = new RequestTransaction(this.server.db, this.log)
  scoped[kTransaction] = own
  try {
    const manager = await own.manager()
    const result = await currentRequest.run(scoped, () => work(manager))
    await own.finish('commit')
    this.committedPosition = own.position
    return result
  } catch (err) {
    await own.finish('rollback')
    throw err
  } finally {
    scoped[kTransaction] = null
  }
}

export default fp(transactionScope, {
  name: 'lifeguard-transaction-scope',
  fastify: '5.x',
  dependencies: ['lifeguard-db']
})
