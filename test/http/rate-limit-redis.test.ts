import t from 'tap'
import { randomBytes } from 'node:crypto'
import { connect, createServer, type Socket } from 'node:net'
import Redis from 'ioredis'
import { buildApp } from '../../src/app'
import { createTestDatabase } from '../helper'
import { problemOf } from '../fixtures/seed'
import { appWithLog } from './log-capture'

/** The Redis the machine runs; override with TEST_REDIS_URL. */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

type Tap = Parameters<typeof createTestDatabase>[0]

/** A key prefix of this test's own, and a direct client that deletes its keys when the test ends. */
function privatePrefix(t: Tap): { prefix: string; redis: Redis } {
  const prefix = `lg-test:rate-limit:${randomBytes(4).toString('hex')}:`
  const redis = new Redis(REDIS_URL)
  t.teardown(async () => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    await redis.quit()
  })
  return { prefix, redis }
}

/** A port nothing listens on: bound once by the OS, then released. */
async function unusedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

t.test('with RATE_LIMIT_REDIS_URL two instances share one budget', async (t) => {
  const { prefix, redis } = privatePrefix(t)
  const config = {
    ...(await createTestDatabase(t)),
    RATE_LIMIT_MAX: 4,
    RATE_LIMIT_WRITE_MAX: 2,
    RATE_LIMIT_REDIS_URL: REDIS_URL,
    RATE_LIMIT_REDIS_PREFIX: prefix
  }
  const one = await buildApp(config)
  t.teardown(() => one.close())
  const two = await buildApp(config)
  t.teardown(() => two.close())

  const remaining: string[] = []
  for (const app of [one, two, one, two]) {
    const res = await app.inject('/authors')
    t.equal(res.statusCode, 200)
    remaining.push(String(res.headers['ratelimit-remaining']))
  }
  t.same(remaining, ['3', '2', '1', '0'], 'each request, on either instance, spent the one shared budget')
  problemOf(t, await one.inject('/authors'), 429)
  const refused = await two.inject('/authors')
  problemOf(t, refused, 429)
  t.ok(Number(refused.headers['retry-after']) >= 1 && Number(refused.headers['retry-after']) <= 60)
  t.equal((await one.inject('/health/ready')).statusCode, 200, 'probes stay unlimited')

  const counted = Number(await redis.get(`${prefix}all:ip:127.0.0.1`))
  t.equal(counted, 6, 'the counter lives in Redis under the configured prefix')
  const ttl = await redis.pttl(`${prefix}all:ip:127.0.0.1`)
  t.ok(ttl > 0 && ttl <= 60_000, `and expires with the window (${ttl} ms left)`)

  // The write budget is shared too: another address, so the general budget is fresh.
  const write = (app: typeof one) => app.inject({ method: 'POST', url: '/authors', payload: { name: 'w' }, remoteAddress: '192.0.2.9' })
  t.equal((await write(one)).statusCode, 201)
  t.equal((await write(two)).statusCode, 201)
  t.match(problemOf(t, await write(one), 429), { detail: /more than 2 writes/ })
  t.equal(Number(await redis.get(`${prefix}write:ip:192.0.2.9`)), 3)
})

t.test('Redis unreachable: start-up goes on, requests are let through unlimited, and that is logged and counted', async (t) => {
  const port = await unusedPort()
  const started = Date.now()
  const { app, lines } = await appWithLog(t, {
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: 2,
    RATE_LIMIT_REDIS_URL: `redis://:secret-redis-password@127.0.0.1:${port}`
  })
  // A refused connection fails at once; the bound is generous for a loaded machine.
  t.ok(Date.now() - started < 20_000, 'start-up did not wait for Redis')
  for (let i = 0; i < 5; i++) {
    const begun = Date.now()
    const res = await app.inject('/authors')
    t.equal(res.statusCode, 200, 'fail open: not limited while the store is down')
    t.equal(res.headers['ratelimit-limit'], undefined, 'no budget to report')
    t.ok(Date.now() - begun < 5_000, 'and not held up waiting for Redis')
  }
  const unreachable = lines.filter((line) => line.msg === 'rate limit Redis unreachable; requests are not limited meanwhile')
  t.ok(unreachable.length >= 1, 'the outage is logged')
  const failedOpen = lines.filter((line) => line.msg === 'rate limit store failed; request let through unlimited')
  t.equal(failedOpen.length, 1, 'one warning for five requests: the warning is throttled, not one per request')
  t.match(failedOpen[0], { level: 40, reason: String })
  t.notMatch(JSON.stringify(lines), /secret-redis-password/, 'the Redis password is in no log line')
  const errors = await app.metricsRegistry.getSingleMetric('rate_limit_store_errors_total')!.get()
  t.equal(errors.values[0]?.value, 5, 'every request let through is counted')
})

/** Polls `request` until it answers `status` or `timeoutMs` passes; returns the last status. */
async function pollStatus(request: () => Promise<{ statusCode: number }>, status: number, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs
  let last = (await request()).statusCode
  while (last !== status && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    last = (await request()).statusCode
  }
  return last
}

t.test('Redis going away and coming back: fail open meanwhile, limited again after, without a restart', async (t) => {
  // A TCP proxy of the test's own in front of the real Redis, so the test can take it away.
  const { prefix } = privatePrefix(t)
  const target = new URL(REDIS_URL)
  const sockets = new Set<Socket>()
  const proxy = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname)
    client.pipe(upstream).pipe(client)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => undefined)
      socket.on('close', () => sockets.delete(socket))
    }
  })
  const listen = (port: number) => new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve))
  await listen(0)
  const { port } = proxy.address() as { port: number }
  t.teardown(() => new Promise((resolve) => proxy.close(resolve)))
  const { app } = await appWithLog(t, {
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: 1,
    RATE_LIMIT_REDIS_URL: `redis://127.0.0.1:${port}`,
    RATE_LIMIT_REDIS_PREFIX: prefix
  })
  const list = () => app.inject('/authors')
  t.equal((await list()).statusCode, 200)
  t.equal((await list()).statusCode, 429, 'limited through Redis')

  await new Promise<void>((resolve) => {
    proxy.close(() => resolve())
    for (const socket of sockets) socket.destroy()
  })
  t.equal(await pollStatus(list, 200), 200, 'Redis gone: requests go through unlimited')

  await listen(port)
  t.equal(await pollStatus(list, 429), 429, 'Redis back: the same shared counter limits again')
})
