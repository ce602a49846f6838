import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit'
import type Redis from 'ioredis'
import { Counter } from 'prom-client'
import type { Config } from '../config'
// request.caller's type: set by authentication (src/auth/plugin.ts), read here.
import type {} from '../auth/caller'
import { onceEvery } from './log-throttle'
import { closeRateLimitRedis, connectRateLimitRedis } from './rate-limit-redis'
import { sendProblem } from './send-problem'

export interface RateLimitOptions {
  config: Pick<Config, 'RATE_LIMIT_MAX' | 'RATE_LIMIT_WRITE_MAX' | 'RATE_LIMIT_WINDOW_MS' | 'RATE_LIMIT_REDIS_URL' | 'RATE_LIMIT_REDIS_PREFIX'>
}

type Budget = 'all' | 'write'

/** What one budget says about one request (the plugin's createRateLimit result, the fields used here). */
interface Verdict {
  max: number
  remaining: number
  ttlInSeconds: number
  isExceeded: boolean
}

type Limiter = (request: FastifyRequest) => Promise<Verdict>

/** Methods that change rows: they also spend the write budget. */
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** At most one "failing open" line per this long while the counter store fails. */
const FAIL_OPEN_LOG_INTERVAL_MS = 10_000

/** The token subject src/auth/plugin.ts set in its onRequest hook, registered before this plugin. */
export function callerSubject(request: FastifyRequest): string | undefined {
  return request.caller?.subject
}

/**
 * Per caller: an authenticated caller's budget follows its token wherever it connects from,
 * everyone else is counted by address (an IPv6 address by its /64, the plugin's default, since
 * one host holds a whole /64).
 */
export function callerKey(request: FastifyRequest): string {
  const subject = callerSubject(request)
  return subject === undefined ? `ip:${normalizeIP(request.ip)}` : `sub:${subject}`
}

/**
 * `RATE_LIMIT_MAX` requests per caller per window, and `RATE_LIMIT_WRITE_MAX` writes on top
 * (a write spends both). One onRequest hook, so a refused request never reaches the pool;
 * the counters are @fastify/rate-limit's stores, in this process or in Redis. Off (no hook at
 * all) while both budgets are 0.
 */
async function rateLimit(app: FastifyInstance, { config }: RateLimitOptions) {
  const { RATE_LIMIT_MAX: max, RATE_LIMIT_WRITE_MAX: writeMax, RATE_LIMIT_WINDOW_MS: windowMs } = config
  if (max === 0 && writeMax === 0) return

  let redis: Redis | undefined
  if (config.RATE_LIMIT_REDIS_URL !== undefined) {
    redis = await connectRateLimitRedis(config.RATE_LIMIT_REDIS_URL, app.log.child({ component: 'rate-limit' }))
    const client = redis
    app.addHook('onClose', () => closeRateLimitRedis(client))
  }
  const budget = (name: Budget, limit: number) =>
    limit === 0 ? undefined : limiterFor(app, { name, max: limit, windowMs, redis, prefix: config.RATE_LIMIT_REDIS_PREFIX })
  const limitAll = await budget('all', max)
  const limitWrites = await budget('write', writeMax)

  const counters = limitCounters(app)
  const failOpenGate = onceEvery(FAIL_OPEN_LOG_INTERVAL_MS)
  /** Fail open: a counter store that is down must not take the API down with it. */
  const check = async (limiter: Limiter, request: FastifyRequest): Promise<Verdict | undefined> => {
    try {
      return await limiter(request)
    } catch (err) {
      counters.storeErrors?.inc()
      const suppressed = failOpenGate()
      if (suppressed >= 0) {
        request.log.warn({ reason: (err as Error).message, suppressed }, 'rate limit store failed; request let through unlimited')
      }
      return undefined
    }
  }

  app.addHook('onRequest', async function limitRate(request, reply) {
    // Probes are never limited; any other path under /health/ is a 404 that touches nothing.
    if (request.url.startsWith('/health/')) return
    const all = limitAll && (await check(limitAll, request))
    if (all && all.isExceeded) return refuse(reply, all, 'all', counters)
    const write = limitWrites && WRITE_METHODS.has(request.method) ? await check(limitWrites, request) : undefined
    if (write && write.isExceeded) return refuse(reply, write, 'write', counters)
    // A write shows whichever budget runs out first.
    const shown = all && write ? (write.remaining < all.remaining ? write : all) : (all || write)
    if (shown) setRateLimitHeaders(reply, shown)
  })
}

/**
 * One budget: @fastify/rate-limit registered in a context of its own, so each budget has its
 * own store (and Redis key namespace) and the plugin adds no route hooks (`global: false`).
 */
async function limiterFor(
  app: FastifyInstance,
  budget: { name: Budget; max: number; windowMs: number; redis?: Redis; prefix: string }
): Promise<Limiter> {
  let limiter: Limiter | undefined
  await app.register(async function rateLimitBudget(scope) {
    await scope.register(fastifyRateLimit, {
      global: false,
      max: budget.max,
      timeWindow: budget.windowMs,
      keyGenerator: callerKey,
      // Errors reach `check` above, which logs them before failing open; the plugin's own skip is silent.
      skipOnError: false,
      ...(budget.redis ? { redis: budget.redis, nameSpace: `${budget.prefix}${budget.name}:` } : {})
    })
    limiter = scope.createRateLimit() as Limiter
  })
  return limiter!
}

/** The plugin's draft-spec header names (`enableDraftSpec`), set here because the check is manual. */
function setRateLimitHeaders(reply: FastifyReply, verdict: Verdict): void {
  reply.header('ratelimit-limit', verdict.max)
  reply.header('ratelimit-remaining', verdict.remaining)
  reply.header('ratelimit-reset', verdict.ttlInSeconds)
}

function refuse(reply: FastifyReply, verdict: Verdict, budget: Budget, counters: LimitCounters): FastifyReply {
  counters.limited?.inc({ budget })
  setRateLimitHeaders(reply, verdict)
  // At least 1 s: a 0 would tell a client to retry at once, in the last instant of the window.
  const retryAfterSeconds = Math.max(1, verdict.ttlInSeconds)
  const what = budget === 'write' ? 'writes' : 'requests'
  return sendProblem(reply, 'too-many-requests', `more than ${verdict.max} ${what} in the window; retry in ${retryAfterSeconds} s`, {
    retryAfterSeconds
  })
}

interface LimitCounters {
  limited?: Counter<'budget'>
  storeErrors?: Counter
}

/**
 * Counters in the app's registry, made once the metrics plugin (registered after this one)
 * has created it. The HTTP histogram counts 429s by route too; these say which budget, and
 * how often the limiter failed open.
 */
function limitCounters(app: FastifyInstance): LimitCounters {
  const counters: LimitCounters = {}
  app.addHook('onReady', async () => {
    if (!app.hasDecorator('metricsRegistry')) return
    counters.limited = new Counter({
      name: 'http_requests_rate_limited_total',
      help: 'requests refused with 429 by the rate limiter, by budget (all, write)',
      labelNames: ['budget'] as const,
      registers: [app.metricsRegistry]
    })
    counters.storeErrors = new Counter({
      name: 'rate_limit_store_errors_total',
      help: 'requests let through unlimited because the rate limit store (Redis) failed',
      registers: [app.metricsRegistry]
    })
  })
  return counters
}

export default fp(rateLimit, { name: 'lifeguard-rate-limit', fastify: '5.x' })
