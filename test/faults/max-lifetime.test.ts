import t from 'tap'
import { buildTestApp } from '../helper'
import { assertPoolSettled, sleep } from './fault-support'

const LOAD_MS = 5_000
const WORKERS = 8

t.test('max lifetime of 2 s under steady load: connections rotate and no request fails', async (t) => {
  const app = await buildTestApp(t, { DB_POOL_SIZE: 4, DB_POOL_MAX_LIFETIME_MS: 2_000 })
  app.get('/test/read', async () => app.db.query('SELECT COUNT(*) AS n FROM authors'))
  await app.ready()
  const statuses = new Map<number, number>()
  const threadIds = new Set<number>()
  const stopAt = Date.now() + LOAD_MS
  const worker = async (index: number) => {
    while (Date.now() < stopAt) {
      // Alternate TypeORM's QueryRunner path and the REST fast path: the rules hold on both.
      const response = await app.inject(index % 2 === 0 ? '/test/read' : '/authors')
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1)
      if (Math.random() < 0.05) {
        const [{ id }] = await app.db.query('SELECT CONNECTION_ID() AS id')
        threadIds.add(Number(id))
      }
      await sleep(10)
    }
  }
  await Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i)))

  t.same([...statuses.keys()], [200], `every request succeeded (${statuses.get(200)} requests)`)
  const retired = app.poolGuard.totals.destroyedByReason.get('max_lifetime') ?? 0
  t.ok(retired >= 4, `connections were retired by age (${retired})`)
  t.ok(app.poolGuard.totals.created >= 8, `and replaced (${app.poolGuard.totals.created} created)`)
  t.ok(threadIds.size > 4, `more distinct server sessions served than the pool size (${threadIds.size})`)
  await assertPoolSettled(t, app)
  t.ok(app.poolGuard.stats().total <= 4, 'never more than the pool size')
})
