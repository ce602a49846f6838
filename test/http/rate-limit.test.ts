import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { buildTestApp } from '../helper'
import { problemOf } from '../fixtures/seed'
import { loadConfig } from '../../src/config'
import problemHandler from '../../src/http/problem-handler'
import rateLimit from '../../src/http/rate-limit'

const TOO_MANY = 'https://lifeguard.dev/problems/too-many-requests'

/** A counter's or histogram's value in the app's own registry (0 when the series does not exist yet). */
async function metricValue(app: FastifyInstance, name: string, labels: Record<string, string> = {}, suffix = ''): Promise<number> {
  const metric = app.metricsRegistry.getSingleMetric(name)
  if (!metric) throw new Error(`no metric ${name}`)
  const { values } = await metric.get()
  const series = values.filter(
    (value) =>
      (suffix === '' || (value as { metricName?: string }).metricName === name + suffix) &&
      Object.entries(labels).every(([key, expected]) => String((value.labels as Record<string, unknown>)[key]) === expected)
  )
  return series.reduce((sum, value) => sum + value.value, 0)
}

const acquisitions = (app: FastifyInstance) => metricValue(app, 'db_pool_acquire_seconds', {}, '_count')

t.test('off by default: no limit, no RateLimit headers, no hook', async (t) => {
  const defaults = loadConfig({})
  t.equal(defaults.RATE_LIMIT_MAX, 0)
  t.equal(defaults.RATE_LIMIT_WRITE_MAX, 0)
  t.equal(defaults.RATE_LIMIT_WINDOW_MS, 60_000)
  const app = await buildTestApp(t)
  for (let i = 0; i < 30; i++) {
    const res = await app.inject('/authors')
    t.equal(res.statusCode, 200)
    t.equal(res.headers['ratelimit-limit'], undefined)
  }
  t.equal(app.metricsRegistry.getSingleMetric('http_requests_rate_limited_total'), undefined, 'no limiter, no counter')
})

t.test('RATE_LIMIT_MAX per address: 429 problem + Retry-After + RateLimit headers, health exempt, the pool untouched', async (t) => {
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: 3, RATE_LIMIT_WINDOW_MS: 60_000 })
  for (const remaining of [2, 1, 0]) {
    const res = await app.inject('/authors')
    t.equal(res.statusCode, 200)
    t.equal(res.headers['ratelimit-limit'], '3')
    t.equal(res.headers['ratelimit-remaining'], String(remaining))
    t.ok(Number(res.headers['ratelimit-reset']) > 0 && Number(res.headers['ratelimit-reset']) <= 60, 'reset within the window')
  }
  const before = await acquisitions(app)
  const refused = await app.inject('/authors/1')
  const body = problemOf(t, refused, 429)
  t.match(body, { type: TOO_MANY, title: 'Too Many Requests', instance: '/authors/1', detail: /more than 3 requests/ })
  const retryAfter = Number(refused.headers['retry-after'])
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter} is within the window`)
  t.equal(refused.headers['ratelimit-remaining'], '0')
  t.equal(refused.headers['ratelimit-reset'], refused.headers['retry-after'])
  for (let i = 0; i < 5; i++) t.equal((await app.inject('/books/1')).statusCode, 429, 'still refused')
  t.equal(await acquisitions(app), before, 'no refused request borrowed a connection')

  for (const probe of ['/health/live', '/health/ready']) {
    const res = await app.inject(probe)
    t.equal(res.statusCode, 200, `${probe} is never limited`)
    t.equal(res.headers['ratelimit-limit'], undefined, `${probe} carries no RateLimit headers`)
  }
  t.equal((await app.inject('/nope')).statusCode, 429, 'an unknown path spends the same budget')

  const other = await app.inject({ url: '/authors/1', remoteAddress: '192.0.2.7' })
  t.equal(other.statusCode, 404, 'another address has a budget of its own (and the route ran)')
  t.equal(other.headers['ratelimit-remaining'], '2')
  t.ok((await acquisitions(app)) > before, 'an allowed request does borrow a connection (the check above can fail)')

  t.equal(await metricValue(app, 'http_requests_rate_limited_total', { budget: 'all' }), 7)
  t.equal(await metricValue(app, 'http_request_duration_seconds', { status_code: '429' }, '_count'), 7, 'the HTTP histogram sees the 429s')
})

t.test('RATE_LIMIT_WRITE_MAX: a smaller budget for writes; a write spends both', async (t) => {
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: 5, RATE_LIMIT_WRITE_MAX: 2 })
  const create = (name: string) => app.inject({ method: 'POST', url: '/authors', payload: { name } })
  const first = await create('one')
  t.equal(first.statusCode, 201)
  t.equal(first.headers['ratelimit-limit'], '2', 'a write shows the budget that runs out first')
  t.equal(first.headers['ratelimit-remaining'], '1')
  t.equal((await create('two')).statusCode, 201)
  const refused = await create('three')
  t.match(problemOf(t, refused, 429), { type: TOO_MANY, detail: /more than 2 writes/ })
  t.ok(Number(refused.headers['retry-after']) >= 1)
  for (const method of ['PATCH', 'PUT', 'DELETE'] as const) {
    t.equal((await app.inject({ method, url: '/authors/1', payload: { name: 'x' } })).statusCode, 429, `${method} is a write`)
  }
  // Six requests spent the general budget of 5: the sixth, the DELETE, was refused by that one.
  t.equal(await metricValue(app, 'http_requests_rate_limited_total', { budget: 'write' }), 3, 'POST, PATCH, PUT over the write budget')
  t.equal(await metricValue(app, 'http_requests_rate_limited_total', { budget: 'all' }), 1, 'DELETE over the general one')
  const read = await app.inject('/authors')
  t.match(problemOf(t, read, 429), { detail: /more than 5 requests/ }, 'writes counted against the general budget too')
  t.equal(read.headers['ratelimit-limit'], '5')
})

t.test('the write budget alone leaves reads unlimited', async (t) => {
  const app = await buildTestApp(t, { RATE_LIMIT_WRITE_MAX: 1 })
  t.equal((await app.inject({ method: 'POST', url: '/authors', payload: { name: 'one' } })).statusCode, 201)
  t.equal((await app.inject({ method: 'POST', url: '/authors', payload: { name: 'two' } })).statusCode, 429)
  for (let i = 0; i < 5; i++) {
    const res = await app.inject('/authors')
    t.equal(res.statusCode, 200)
    t.equal(res.headers['ratelimit-limit'], undefined, 'a read has no budget to show')
  }
})

t.test('the window ends: the budget comes back', async (t) => {
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: 1, RATE_LIMIT_WINDOW_MS: 400 })
  t.equal((await app.inject('/authors')).statusCode, 200)
  t.equal((await app.inject('/authors')).statusCode, 429)
  // Polled, not slept: the window is 400 ms, the bound generous for a loaded machine.
  const deadline = Date.now() + 10_000
  let status = 429
  while (status === 429 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    status = (await app.inject('/authors')).statusCode
  }
  t.equal(status, 200, 'allowed again in a new window')
})

/**
 * The real plugin behind a stand-in for authentication: an onRequest hook of the test's own,
 * registered before the limiter as authentication's is, sets `request.caller`.
 */
async function appWithCallers(t: Parameters<typeof buildTestApp>[0], subjects: Map<string, string>) {
  const app = Fastify()
  await app.register(problemHandler)
  app.decorateRequest('caller', null)
  app.addHook('onRequest', async (request) => {
    const subject = subjects.get(request.url)
    request.caller = subject === undefined ? null : { subject, roles: [] }
  })
  await app.register(rateLimit, { config: { ...loadConfig({}), RATE_LIMIT_MAX: 2 } })
  app.get('/as/:who', async () => ({ ok: true }))
  t.teardown(() => app.close())
  await app.ready()
  return app
}

t.test('an authenticated caller is counted by its token subject, wherever it connects from', async (t) => {
  const app = await appWithCallers(t, new Map([['/as/alice', 'alice'], ['/as/bob', 'bob']]))
  const get = (who: string, remoteAddress = '198.51.100.1') => app.inject({ url: `/as/${who}`, remoteAddress })
  t.equal((await get('alice')).statusCode, 200)
  t.equal((await get('alice', '198.51.100.2')).statusCode, 200, 'from another address, the same budget')
  t.equal((await get('alice', '198.51.100.3')).statusCode, 429, "alice's budget is spent, whatever her address")
  t.equal((await get('bob')).statusCode, 200, 'bob, from the same address as alice, has his own')
  const anonymous = await get('nobody')
  t.equal(anonymous.statusCode, 200, 'an anonymous caller on that address is counted by the address, not by alice')
  t.equal(anonymous.headers['ratelimit-remaining'], '1')
  t.equal((await get('nobody')).statusCode, 200)
  t.equal((await get('nobody')).statusCode, 429, 'and its address budget runs out as well')
  t.equal((await get('bob')).statusCode, 200, 'which is not bob’s')
})

t.test('an IPv6 caller is counted by its /64', async (t) => {
  const app = await appWithCallers(t, new Map())
  const get = (remoteAddress: string) => app.inject({ url: '/as/anyone', remoteAddress })
  t.equal((await get('2001:db8:1:1::1')).statusCode, 200)
  t.equal((await get('2001:db8:1:1::2')).statusCode, 200)
  t.equal((await get('2001:db8:1:1:ffff::3')).statusCode, 429, 'one /64 is one caller')
  t.equal((await get('2001:db8:1:2::1')).statusCode, 200, 'the next /64 is another')
})
