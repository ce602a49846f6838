import t from 'tap'
import { PrivateMariaDb } from '../faults/private-mariadb'
import { buildAppOn } from '../faults/fault-support'
import { problemOf } from '../fixtures/seed'
import { executePooled, poolOf } from '../../src/db/pooled-query'

/**
 * 1461 (max_prepared_stmt_count reached) needs a global setting changed, so it runs on a
 * private server: the shared one must keep its global state.
 */
t.test('the server refusing to prepare more statements is a 503 database-busy with Retry-After', async (t) => {
  const server = await PrivateMariaDb.start(t)
  const app = await buildAppOn(t, server.url, { DB_POOL_SIZE: 2 })
  const admin = await server.admin()
  t.teardown(() => admin.end().catch(() => {}))
  await admin.query('SET GLOBAL max_prepared_stmt_count = 0')

  app.get('/test/prepared', async () => executePooled(poolOf(app.db), 'SELECT ? AS echoed', ['Canary-1461']))
  const response = await app.inject('/test/prepared')
  const body = problemOf(t, response, 503)
  t.equal(body.type, 'https://lifeguard.dev/problems/database-busy')
  t.equal(response.headers['retry-after'], '1')
  t.notMatch(response.body, /Canary|max_prepared_stmt_count|SELECT/)

  await admin.query('SET GLOBAL max_prepared_stmt_count = 16382')
  const recovered = await app.inject('/test/prepared')
  t.equal(recovered.statusCode, 200, 'recovers once the server prepares again')
})
