import t from 'tap'
import { buildTestApp } from '../helper'
import { PrivateMariaDb } from '../faults/private-mariadb'
import { buildAppOn } from '../faults/fault-support'
import { readinessCheckCounts as checkCounts, readySeries } from '../support/readiness-series'

// Issue 8 items 3 and 8: every /health/ready check sets lifeguard_ready{reason} and counts
// lifeguard_readiness_checks_total{result}, so an alert can say why an instance is out.

t.test('ready: 1 with reason ok; draining: 0 with reason draining, and the ok series is gone', async (t) => {
  const app = await buildTestApp(t)
  await app.ready()
  t.same(await readySeries(app), {}, 'no series before the first check')
  t.match((await app.inject('/metrics')).body, /^# TYPE lifeguard_ready gauge$/m)

  t.equal((await app.inject('/health/ready')).statusCode, 200)
  t.equal((await app.inject('/health/ready')).statusCode, 200)
  t.same(await readySeries(app), { ok: 1 })
  t.same(await checkCounts(app), { ok: 2 })

  await app.drain(0)
  const draining = await app.inject('/health/ready')
  t.equal(draining.statusCode, 503)
  t.match(draining.json(), { detail: 'the instance is shutting down' })
  t.same(await readySeries(app), { draining: 0 }, 'one series: the last check\'s reason')
  t.same(await checkCounts(app), { ok: 2, draining: 1 })
})

t.test('database down: 0 with reason database_unreachable, back to 1 with reason ok once it is up', async (t) => {
  const server = await PrivateMariaDb.start(t)
  const app = await buildAppOn(t, server.url)
  t.equal((await app.inject('/health/ready')).statusCode, 200)
  t.same(await readySeries(app), { ok: 1 })

  await server.stop()
  const down = await app.inject('/health/ready')
  t.equal(down.statusCode, 503)
  t.match(down.json(), { detail: /not reachable/ })
  t.same(await readySeries(app), { database_unreachable: 0 })

  await server.launch()
  let status = 0
  for (let i = 0; i < 50 && status !== 200; i++) {
    status = (await app.inject('/health/ready')).statusCode
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.equal(status, 200, 'ready again once the server is back')
  t.same(await readySeries(app), { ok: 1 }, 'the unreachable series is gone, so an alert on == 0 clears')
  const counts = await checkCounts(app)
  t.ok(counts.ok >= 2 && counts.database_unreachable >= 1, JSON.stringify(counts))
})
