import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { adminConnection } from '../helper'
import { appWithLog } from '../http/log-capture'
import { assertPoolSettled, hangUpWhileRunning, openTransactions } from './fault-support'

// Issue 8 item 2: a client that hangs up while its request's statement runs gets that
// statement killed on the server (it would otherwise hold a connection and its locks to the end),
// and the abort is counted and logged.
t.test('client abort during a 5 s statement: gone from the server within 1 s, counted in /metrics', async (t) => {
  const { app, lines } = await appWithLog(t, { DB_POOL_SIZE: 2, LOG_LEVEL: 'info' })
  const database = app.db.options.database as string
  app.post('/test/slow', { config: { transactional: true } }, async (request) => {
    const tx = await request.tx()
    await tx.query("SELECT SLEEP(5), 'abort-kills-statement' AS marker")
    return { ok: true }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const admin = await adminConnection()
  t.teardown(() => admin.end())
  const running = async () => {
    const [rows] = (await admin.query(
      "SELECT id FROM information_schema.processlist WHERE info LIKE '%abort-kills-statement%' AND info NOT LIKE '%processlist%'"
    )) as any
    return rows.length
  }

  const req = http.request({ host: '127.0.0.1', port, path: '/test/slow', method: 'POST' })
  req.on('error', () => {}) // the hang-up we cause
  req.end()
  await hangUpWhileRunning(t, req, running)

  await assertPoolSettled(t, app)
  t.equal(await openTransactions(admin, database), 0, 'its transaction was rolled back')
  const metrics = (await app.inject('/metrics')).body
  t.match(metrics, /http_requests_aborted_total\{method="POST",route="\/test\/slow"\} 1/, 'the abort is counted')
  t.equal(lines.filter((line) => line.msg === 'client closed the request before its response').length, 1, 'the abort is logged once at info')
  t.same(
    lines.filter((line) => line.level >= 40).map((line) => line.msg),
    [],
    'nothing is logged as a warning or an error: the interrupted statement is the abort, not a failure'
  )
})
