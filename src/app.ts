import 'reflect-metadata'
import Fastify, { type FastifyInstance } from 'fastify'
import type { EntitySchema, MixedList } from 'typeorm'
import type { Config } from './config'
import { entities as domainEntities, subscribers as domainSubscribers } from '../entities'
import dbPlugin from './db/plugin'
import transactionScope from './db/transaction-scope'
import metrics from './http/metrics'
import drain from './http/drain'
import problemHandler from './http/problem-handler'
import openapi from './http/openapi'
import healthRoutes from './http/health'
import { loggerOptions } from './http/logger'
import { partAwareValidators } from './http/validation'
import { edgeOptions } from './http/edge-options'
import restRoutes from './rest'
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
    ...edgeOptions(),
    // Query strings and params are coerced from text (strictly); bodies never are (src/http/validation.ts).
    schemaController: { compilersFactory: { buildValidator: partAwareValidators() } }
  })
  try {
    await app.register(problemHandler)
    await app.register(drain)
    await app.register(dbPlugin, {
      config,
      entities: entities as MixedList<Function | string | EntitySchema>,
      subscribers: options.subscribers ?? domainSubscribers
    })
    await app.register(transactionScope)
    await app.register(metrics)
    // Before openapi and the REST routes: its route hook bounds every list route's offset (REST_MAX_OFFSET).
    await app.register(offsetBound, { maxOffset: config.REST_MAX_OFFSET })
    await app.register(openapi)
    await app.register(healthRoutes)
    await app.register(restRoutes, { entities })
    await app.register(orderRoutes)
  } catch (err) {
    // A start-up refusal (a bad entity, an unreachable database) must not leave the pool open.
    await app.close().catch(() => undefined)
    throw err
  }
  return app
}
