import Redis from 'ioredis'
import type { FastifyBaseLogger } from 'fastify'
import { onceEvery } from './log-throttle'

/**
 * Longest one counter update may take. Past it the request goes on unlimited (fail open): a
 * Redis that is slow or frozen must not add its delay to every API request.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 250

/** How long start-up waits for Redis before it goes on without it (it keeps reconnecting). */
const REDIS_CONNECT_TIMEOUT_MS = 1_000

/** At most one "Redis unreachable" line per this long, however many reconnects fail. */
const ERROR_LOG_INTERVAL_MS = 10_000

/**
 * The ioredis client the rate limit counters live in. Without the offline queue a command
 * sent while Redis is away fails at once instead of waiting for a reconnect, so an outage
 * costs each request nothing but a rejected promise; ioredis keeps reconnecting meanwhile.
 * Start-up does not wait for Redis to come back: the limiter fails open until it does.
 */
export async function connectRateLimitRedis(url: string, log: FastifyBaseLogger): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS
  })
  const errorGate = onceEvery(ERROR_LOG_INTERVAL_MS)
  // Only the message: the URL ioredis may add to an error can hold a password.
  redis.on('error', (err: Error) => {
    const suppressed = errorGate()
    if (suppressed >= 0) log.warn({ reason: err.message, suppressed }, 'rate limit Redis unreachable; requests are not limited meanwhile')
  })
  let connectedOnce = false
  redis.on('ready', () => {
    if (connectedOnce) log.info('rate limit Redis reachable again; requests are limited again')
    connectedOnce = true
  })
  await redis.connect().catch(() => undefined)
  return redis
}

/** quit() waits for pending replies; a client that is not connected has none and would wait for a reconnect. */
export async function closeRateLimitRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect())
  else redis.disconnect()
}
