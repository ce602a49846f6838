import t from 'tap'
import { buildTestApp } from '../helper'
import { sleep } from './guard-harness'

/** One sample's value from Prometheus text, or undefined when absent; pool series are the primary node's. */
function sample(text: string, series: string): number | undefined {
  const names = [series + ' ', series + '{node="primary"} ']
  const line = text.split('\n').find((l) => names.some((name) => l.startsWith(name)))
  return line === undefined ? undefined : Number(line.slice(line.indexOf(' ') + 1))
}

t.test('/metrics shows the pool moving under load, in Prometheus text', async (t) => {
  const app = await buildTestApp(t, { DB_POOL_SIZE: 3, DB_POOL_ACQUIRE_TIMEOUT_MS: 2_000 })
  app.get('/test/slow', async () => app.db.query('SELECT SLEEP(0.4) AS slept'))
  await app.ready()

  const idle = await app.inject('/metrics')
  t.equal(idle.statusCode, 200)
  t.match(idle.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  t.equal(sample(idle.body, 'db_pool_connections_max'), 3)
  for (const processMetric of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds']) {
    t.ok(sample(idle.body, processMetric)! >= 0, `${processMetric} (prom-client's default metrics)`)
  }
  t.equal(sample(idle.body, 'db_pool_connections_active'), 0)

  const load = Array.from({ length: 5 }, () => app.inject('/test/slow'))
  await sleep(150)
  const busy = (await app.inject('/metrics')).body
  t.equal(sample(busy, 'db_pool_connections_active'), 3, 'all 3 lent out')
  t.equal(sample(busy, 'db_pool_connections_total'), 3)
  t.equal(sample(busy, 'db_pool_connections_pending'), 2, 'two borrowers wait')
  t.equal(sample(busy, 'db_pool_saturated'), 1, 'the pool says it is saturated')
  t.equal(sample(idle.body, 'db_pool_saturated'), 0)
  await Promise.all(load)

  const after = (await app.inject('/metrics')).body
  t.equal(sample(after, 'db_pool_connections_active'), 0)
  t.equal(sample(after, 'db_pool_connections_idle'), 3)
  t.ok(sample(after, 'db_pool_acquire_seconds_count')! >= 5, 'acquire waits observed')
  t.ok(sample(after, 'db_pool_acquire_seconds_sum')! >= 0.3, 'including the two that waited for a slow query')
  t.ok(sample(after, 'db_pool_usage_seconds_count')! >= 5, 'usage times observed')
  t.ok(sample(after, 'db_pool_connections_created_total')! >= 3)
  t.equal(
    sample(after, 'http_request_duration_seconds_count{method="GET",route="/test/slow",status_code="200"}'),
    5,
    'HTTP durations by route pattern and status'
  )
})

t.test('database errors are counted by code, and every app has its own registry', async (t) => {
  const first = await buildTestApp(t)
  const second = await buildTestApp(t)
  first.get('/test/broken', async () => first.db.query('SELECT * FROM no_such_table'))
  t.equal((await first.inject('/test/broken')).statusCode, 500)
  t.match((await first.inject('/metrics')).body, /db_errors_total\{node="primary",code="ER_NO_SUCH_TABLE"\} 1/)
  t.notMatch((await second.inject('/metrics')).body, /ER_NO_SUCH_TABLE/, 'the other app counted nothing')
  t.not(first.metricsRegistry, second.metricsRegistry)
})
