import t from 'tap'
import { PrivateMariaDb } from './private-mariadb'
import { assertPoolSettled, buildAppOn, FAULT_DATABASE, sleep } from './fault-support'

/**
 * Issue 8 item 7, failover awareness: the server behind DATABASE_URL turns read-only (what a
 * failover does to the old primary). Writes fail as 503 and every connection to it is
 * replaced; once writes are possible again (here: read_only lifted; in a failover: the name
 * leads to the new primary) they succeed on the same app, without a restart.
 */
t.test('a server turned read-only: writes 503, connections replaced, writes again once it is lifted', async (t) => {
  const server = await PrivateMariaDb.start(t)
  const admin = await server.admin()
  t.teardown(() => admin.end().catch(() => {}))
  // The application's account must be subject to read_only: root is not (it may write regardless).
  await admin.query(`CREATE DATABASE IF NOT EXISTS ${FAULT_DATABASE}`)
  await admin.query("CREATE USER IF NOT EXISTS 'app'@'127.0.0.1' IDENTIFIED BY 'app-secret'")
  await admin.query(`GRANT ALL ON ${FAULT_DATABASE}.* TO 'app'@'127.0.0.1'`)
  const app = await buildAppOn(t, `mariadb://app:app-secret@127.0.0.1:${server.port}`, { DB_POOL_SIZE: 4 })
  const create = (name: string) => app.inject({ method: 'POST', url: '/authors', payload: { name } })

  for (let i = 0; i < 4; i++) t.equal((await create(`before ${i}`)).statusCode, 201, 'writes work before')
  const appSessions = async () => {
    const [rows] = (await admin.query("SELECT id FROM information_schema.processlist WHERE user = 'app'")) as any
    return new Set<number>(rows.map((row: { id: number }) => Number(row.id)))
  }
  const before = await appSessions()
  t.ok(before.size >= 1, `the pool holds ${before.size} connections`)

  await admin.query('SET GLOBAL read_only = 1')
  t.teardown(() => admin.query('SET GLOBAL read_only = 0').catch(() => {}))
  const refused = await create('during')
  t.equal(refused.statusCode, 503, 'a write on a read-only server is a 503')
  t.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(refused.json(), { type: /database-unavailable$/, detail: /read-only/ })
  t.equal(refused.headers['retry-after'], '1')
  t.equal((await app.inject('/authors')).statusCode, 200, 'reads still work')
  t.ok((app.poolGuard.totals.destroyedByReason.get('read_only') ?? 0) >= 1, 'connections evicted as read_only')
  await sleep(100)
  const survivors = [...(await appSessions())].filter((id) => before.has(id))
  t.same(survivors, [], 'none of the connections made before the read-only error is still open')

  await admin.query('SET GLOBAL read_only = 0')
  t.equal((await create('after')).statusCode, 201, 'writes succeed again, with no restart')
  const [[{ count }]] = (await admin.query(`SELECT COUNT(*) AS count FROM ${FAULT_DATABASE}.authors WHERE name = 'during'`)) as any
  t.equal(Number(count), 0, 'the refused write left nothing behind')
  await assertPoolSettled(t, app)
})
