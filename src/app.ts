import 'reflect-metadata'
import Fastify, { type FastifyInstance } from 'fastify'
import type { EntitySchema, MixedList } from 'typeorm'
import type { Config } from './config'
import { entities as domainEntities, subscribers as domainSubscribers } from '../entities'
import dbPlugin from './db/plugin'
import readYourWrites from './http/read-your-writes'
import transactionScope from './db/transaction-scope'
import metrics from './http/metrics'
import drain from './http/drain'
import rateLimit from './http/rate-limit'
import adminSurface from './http/admin'
import problemHandler from './http/problem-handler'
import openapi from './http/openapi'
import healthRoutes from './http/health'
import serverTiming from './http/server-timing'
import clientAbort from './http/client-abort'
import { loggerOptions } from './http/logger'
import { partAwareValidators } from './http/validation'
import { edgeOptions } from './http/edge-options'
import authentication from './auth/plugin'
import securityHeaders from './http/security-headers'
import cors from './http/cors'
import hostCheck from './http/host-check'
import edgeLimits from './http/edge-limits'
import restRoutes from './rest'
import idempotency from './idempotency/plugin'
import offsetBound from './rest/offset-bound'
import orderRoutes from './routes/orders'

export interface BuildAppOptions {
  /** Entities to map and expose instead of entities/index.ts (tests add their own). */
  entities?: Function[]
  /** TypeORM subscriber classes instead of entities/index.ts's `subscribers`. */
  subscribers?: Function[]
  /** Where log lines go instead of stdout (tests read what operators would see). */
  logStream?: { write(line: string): void }
}

/** Largest request body accepted, in bytes; a larger one is a 413 problem. */
export const BODY_LIMIT_BYTES = 64 * 1024

/**
 * Builds the whole service for server.ts, tests and benchmarks alike, so every caller
 * validates, serialises and pools exactly as production does. The caller must `close()` it.
 */
export async function buildApp(config: Config, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const entities = options.entities ?? domainEntities
  const app = Fastify({
    logger: loggerOptions(config, options.logStream),
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: true,
    ...edgeOptions(config),
    // Query strings and params are coerced from text (strictly); bodies never are (src/http/validation.ts).
    schemaController: { compilersFactory: { buildValidator: partAwareValidators() } }
  })
  try {
    await app.register(problemHandler)
    await app.register(drain)
    // Edge, in this order (onRequest hooks run as registered): security headers on every
    // response, refusals included; CORS answers preflights before anything judges the caller;
    // then the Host check and the query bound, before routing reaches a handler or the pool.
    await app.register(securityHeaders, { config })
    await app.register(cors, { config })
    await app.register(hostCheck, { config })
    await app.register(edgeLimits, { config })
    // Before anything that counts or serves a caller: every later hook and route can read request.caller.
    await app.register(authentication, { config })
    // onRequest, after authentication (it keys on the token's subject); a refused request never reaches the pool.
    await app.register(rateLimit, { config })
    // Before metrics and openapi: it guards their routes as they are added (ADMIN_PORT, ADMIN_TOKEN).
    await app.register(adminSurface, { config })
    await app.register(dbPlugin, {
      config,
      entities: entities as MixedList<Function | string | EntitySchema>,
      subscribers: options.subscribers ?? domainSubscribers
    })
    // Before the transaction scope: its handler wrapper must run inside the request transaction.
    await app.register(idempotency, { ttlMs: config.IDEMPOTENCY_TTL_MS })
    await app.register(transactionScope)
    // After the transaction scope (its onSend commits first), before the routes: Lifeguard-Position on writes, read on reads.
    await app.register(readYourWrites, { cookie: config.DB_POSITION_COOKIE })
    await app.register(metrics)
    // Before openapi and the REST routes: its route hook bounds every list route's offset (REST_MAX_OFFSET).
    await app.register(offsetBound, { maxOffset: config.REST_MAX_OFFSET })
    await app.register(openapi)
    await app.register(healthRoutes)
    // After health, metrics and docs, before the API routes: only the routes added after it carry Server-Timing.
    await app.register(serverTiming, { enabled: config.HTTP_SERVER_TIMING })
    // Likewise for the API routes: a client that hangs up gets its queued borrows cancelled and its statements killed.
    await app.register(clientAbort)
    await app.register(restRoutes, {
      entities,
      bulkMax: config.REST_BULK_MAX,
      listCosts: { maxScanRows: config.REST_MAX_SCAN_ROWS, countExactBelow: config.REST_COUNT_EXACT_BELOW },
      explainPlans: config.REST_EXPLAIN
    })
    await app.register(orderRoutes)
  } catch (err) {
    // A start-up refusal (a bad entity, an unreachable database) must not leave the pool open.
    await app.close().catch(() => undefined)
    throw err
  }
  return app
}
