import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify'
import { IdempotencyKeyInProgressError, IdempotencyKeyReusedError, ValidationFailedError } from '../http/errors'
import { fingerprintOf, IdempotencyStore, scopeOf, type KeyRef, type StoredAnswer } from './idempotency-store'

export interface IdempotencyOptions {
  /** IDEMPOTENCY_TTL_MS: how long a key's answer is kept and replayed. */
  ttlMs: number
}

const HEADER = 'idempotency-key'
/** The response headers a replay repeats (the rest are the server's of the moment: dates, timings, limits). */
const REPLAYED_HEADERS = ['content-type', 'location', 'etag', 'preference-applied', 'x-affected-count']
/** Longest time between two sweeps of expired keys. */
const MAX_SWEEP_INTERVAL_MS = 10 * 60_000
const KEY_SCHEMA = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  pattern: '^[\\x21-\\x7E]+$',
  description:
    'makes a retry safe (IETF draft-ietf-httpapi-idempotency-key-header): the first request with a key runs, a repeat with the same body gets its answer again (Idempotent-Replayed: true), another body is a 422; keys are per route and caller, kept IDEMPOTENCY_TTL_MS'
}

/**
 * `Idempotency-Key` on every transactional POST and PATCH route (the generated writes and
 * hand-written ones like POST /orders). The key is claimed inside the request transaction,
 * before the handler runs, and the answer stored in it after, before the commit (the scope's
 * request.beforeCommit, which gets the payload as it will be sent): a key and the
 * change it answers are one transaction, so a crash cannot keep one without the other, and a
 * failed request (4xx, 5xx, a client that went away) keeps neither, so its retry runs afresh.
 * A repeat with the same key and body gets the first answer again — status, body, Location,
 * ETag — without touching the entity table; a repeat that arrives while the first still runs
 * waits for it (the claim's row lock), bounded by the statement timeout.
 *
 * Registered before the transaction scope, so the handler it wraps runs inside the scope's
 * transaction (onRoute hooks run in registration order; the scope wraps what it finds).
 */
async function idempotency(app: FastifyInstance, { ttlMs }: IdempotencyOptions) {
  if (app.hasPlugin('lifeguard-transaction-scope')) {
    throw new Error('register the idempotency plugin before the transaction scope: its handler wrapper must run inside the request transaction')
  }
  const store = new IdempotencyStore(ttlMs)
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (!route.config?.transactional || !methods.some((method) => method === 'POST' || method === 'PATCH')) return
    route.handler = keyedHandler(route.handler as RouteHandlerMethod, store)
    if (route.schema) {
      const headers = (route.schema.headers ?? { type: 'object', properties: {} }) as { properties?: Record<string, unknown> }
      route.schema = { ...route.schema, headers: { ...headers, properties: { ...headers.properties, [HEADER]: KEY_SCHEMA } } }
    }
  })

  const sweep = async () => {
    try {
      const swept = await store.sweep((statement, values) => app.db.query(statement, values))
      if (swept > 0) app.log.debug({ swept }, 'expired idempotency keys deleted')
    } catch (err) {
      app.log.warn({ err }, 'sweeping expired idempotency keys failed; the next sweep tries again')
    }
  }
  const sweeper = setInterval(sweep, Math.min(ttlMs, MAX_SWEEP_INTERVAL_MS))
  sweeper.unref()
  app.addHook('onClose', async () => clearInterval(sweeper))
}

function keyedHandler(handler: RouteHandlerMethod, store: IdempotencyStore): RouteHandlerMethod {
  return async function withIdempotencyKey(this: FastifyInstance, request, reply) {
    const key = request.headers[HEADER]
    if (key === undefined) return handler.call(this, request, reply)
    if (typeof key !== 'string') {
      throw new ValidationFailedError('headers.idempotency-key must be sent once', [{ path: 'headers.idempotency-key', message: 'must be sent once' }])
    }
    const caller = request.caller?.subject === undefined ? 'anonymous' : `sub:${request.caller.subject}`
    const ref = { scope: scopeOf(request.method, request.routeOptions.url ?? request.url, caller), key }
    const claim = await store.claim(request.txExecute.bind(request), ref, fingerprintOf(request.url, request.body))
    switch (claim.kind) {
      case 'claimed':
        request.beforeCommit((payload) => storeAnswer(store, request, reply, ref, payload))
        return handler.call(this, request, reply)
      case 'replay':
        return replay(reply, claim.answer)
      case 'other-request':
        throw new IdempotencyKeyReusedError(`Idempotency-Key "${key.slice(0, 64)}" was first sent with another request (URL or body) to this route; use a new key for a new request`)
      case 'in-progress':
        throw new IdempotencyKeyInProgressError(`a request with Idempotency-Key "${key.slice(0, 64)}" has no stored answer yet; retry after it finished`)
    }
  }
}

function replay(reply: FastifyReply, answer: StoredAnswer): FastifyReply {
  for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value)
  reply.header('idempotent-replayed', 'true')
  return reply.code(answer.status).send(answer.body ?? undefined)
}

/** Keeps the answer of the request that claimed a key, in its transaction, before the commit (a success: an error keeps nothing). */
async function storeAnswer(store: IdempotencyStore, request: FastifyRequest, reply: FastifyReply, ref: KeyRef, payload: unknown): Promise<void> {
  const headers: Record<string, string> = {}
  for (const name of REPLAYED_HEADERS) {
    const value = reply.getHeader(name)
    if (value !== undefined) headers[name] = String(value)
  }
  const body = typeof payload === 'string' ? Buffer.from(payload) : Buffer.isBuffer(payload) ? payload : null
  if (body === null && payload !== undefined && payload !== null) throw new Error(`${request.routeOptions.url}: a streamed answer cannot be kept for Idempotency-Key replays`)
  await store.store(request.txExecute.bind(request), ref, { status: reply.statusCode, headers, body })
}

export default fp(idempotency, { name: 'lifeguard-idempotency', fastify: '5.x', dependencies: ['lifeguard-db'] })
