import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { PrivateMariaDb } from './private-mariadb'
import { assertPoolSettled, buildAppOn, burst, FAULT_DATABASE, sleep } from './fault-support'

/**
 * Destructive faults, against a MariaDB server of this file's own: connections killed, dropped
 * by wait_timeout, a restart under load, and a frozen (SIGSTOPped) server.
 */
t.test('server outages', async (t) => {
  const server = await PrivateMariaDb.start(t)
  const admin = await server.admin()
  t.teardown(() => admin.end().catch(() => {}))

  t.test('every pooled connection killed: the next 50 requests succeed', async (t) => {
    const app = await buildAppOn(t, server.url, { DB_POOL_SIZE: 5 })
    t.same(new Set(await burst(app, '/authors', 20)), new Set([200]), 'warm-up')
    const [sessions] = (await admin.query('SELECT id FROM information_schema.processlist WHERE db = ?', [
      FAULT_DATABASE
    ])) as any
    t.ok(sessions.length >= 1, `the pool holds ${sessions.length} connections`)
    const destroyedBefore = destroyedTotal(app)
    for (const { id } of sessions) await admin.query(`KILL CONNECTION ${Number(id)}`)
    const statuses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => app.inject(i % 2 ? '/authors' : '/health/ready'))
    )
    t.same(new Set(statuses.map((r) => r.statusCode)), new Set([200]), 'all 50 concurrent requests succeeded')
    t.ok(destroyedTotal(app) - destroyedBefore >= sessions.length, 'every killed connection was dropped from the pool')
    const [after] = (await admin.query('SELECT id FROM information_schema.processlist WHERE db = ?', [FAULT_DATABASE])) as any
    const killed = new Set(sessions.map((s: { id: number }) => Number(s.id)))
    t.notOk(after.some((s: { id: number }) => killed.has(Number(s.id))), 'none of the killed sessions is in use')
    await assertPoolSettled(t, app)
  })

  t.test("connections dropped by the server's wait_timeout: the next burst of 50 succeeds", async (t) => {
    await admin.query('SET GLOBAL wait_timeout = 1')
    t.teardown(() => admin.query('SET GLOBAL wait_timeout = DEFAULT'))
    const app = await buildAppOn(t, server.url, { DB_POOL_SIZE: 5 })
    t.same(new Set(await burst(app, '/authors', 20)), new Set([200]), 'warm-up')
    const before = app.poolGuard.totals.created
    await sleep(2_500)
    t.same(new Set(await burst(app, '/authors', 50)), new Set([200]), 'all 50 concurrent requests succeeded')
    t.ok(app.poolGuard.totals.created > before, 'dropped connections were replaced')
    t.ok(destroyedTotal(app) >= 1, 'the dropped ones were counted as destroyed')
    await assertPoolSettled(t, app)
  })

  t.test('server restarted under load: fast 503s, readiness red then green, no app restart', async (t) => {
    const acquireTimeoutMs = 1_000
    const app = await buildAppOn(t, server.url, { DB_POOL_SIZE: 4, DB_POOL_ACQUIRE_TIMEOUT_MS: acquireTimeoutMs })
    const load = startLoad(app)
    await sleep(500)
    await server.stop()
    const downSince = Date.now()
    await sleep(1_000)
    const readyWhileDown = await app.inject('/health/ready')
    const failuresDuringOutage = load.results.filter((r) => r.at >= downSince && r.status === 503).length
    await server.launch()
    const readyAgain = await waitForReady(app, 10_000)
    await sleep(500)
    const results = await load.stop()

    t.equal(readyWhileDown.statusCode, 503, '/health/ready is red while the server is down')
    t.ok(readyAgain, '/health/ready turns green again by itself')
    t.ok(failuresDuringOutage > 0, `requests during the outage got 503 (${failuresDuringOutage})`)
    t.same(new Set(results.map((r) => r.status).filter((s) => s !== 200 && s !== 503)), new Set(), 'only 200 or 503')
    const slowest = Math.max(...results.map((r) => r.ms))
    t.ok(slowest < acquireTimeoutMs + 1_500, `no request hung (slowest ${slowest} ms)`)
    const lastSecond = results.filter((r) => r.at > Date.now() - 400)
    t.ok(lastSecond.length > 0 && lastSecond.every((r) => r.status === 200), 'service resumed under the same app')
    await assertPoolSettled(t, app)
  })

  t.test('server frozen (SIGSTOP) longer than the acquire timeout: 503s, then recovery', async (t) => {
    const acquireTimeoutMs = 500
    const app = await buildAppOn(t, server.url, { DB_POOL_SIZE: 3, DB_POOL_ACQUIRE_TIMEOUT_MS: acquireTimeoutMs })
    t.same(new Set(await burst(app, '/authors', 6)), new Set([200]), 'warm-up')
    await server.pause()
    const frozen = Array.from({ length: 10 }, () => timedInject(app, '/authors'))
    const ready = await timedInject(app, '/health/ready')
    await sleep(1_500)
    const refusedWhileFrozen = await timedInject(app, '/authors')
    server.resume()
    const outcomes = await Promise.all(frozen)

    t.equal(ready.status, 503, '/health/ready is red while frozen')
    t.equal(refusedWhileFrozen.status, 503, 'a new request is refused while frozen')
    t.ok(refusedWhileFrozen.ms < acquireTimeoutMs + 500, `and refused fast (${refusedWhileFrozen.ms} ms)`)
    const refused = outcomes.filter((o) => o.status === 503)
    t.ok(refused.length >= 7, `requests beyond the pool got 503 (${refused.length} of 10)`)
    t.ok(refused.every((o) => o.ms < acquireTimeoutMs + 500), 'each at its acquire deadline')
    t.same(new Set(outcomes.map((o) => o.status).filter((s) => s !== 503)), new Set(outcomes.length > refused.length ? [200] : []),
      'requests already on a connection finish once the server resumes')
    t.ok(await waitForReady(app, 5_000), '/health/ready green again')
    t.same(new Set(await burst(app, '/authors', 20)), new Set([200]), 'service recovered')
    await assertPoolSettled(t, app)
  })
})

function destroyedTotal(app: FastifyInstance): number {
  return [...app.poolGuard.totals.destroyedByReason.values()].reduce((sum, n) => sum + n, 0)
}

interface Outcome {
  status: number
  ms: number
  at: number
}

async function timedInject(app: FastifyInstance, url: string): Promise<Outcome> {
  const started = Date.now()
  const response = await app.inject(url)
  return { status: response.statusCode, ms: Date.now() - started, at: Date.now() }
}

/** Four clients in a loop until stopped; every outcome is kept. */
function startLoad(app: FastifyInstance) {
  const results: Outcome[] = []
  let running = true
  const worker = async () => {
    while (running) {
      results.push(await timedInject(app, '/authors'))
      await sleep(20)
    }
  }
  const workers = Promise.all(Array.from({ length: 4 }, worker))
  return {
    results,
    async stop() {
      running = false
      await workers
      return results
    }
  }
}

async function waitForReady(app: FastifyInstance, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if ((await app.inject('/health/ready')).statusCode === 200) return true
    await sleep(100)
  }
  return false
}
