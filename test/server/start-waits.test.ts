import t from 'tap'
import { PrivateMariaDb } from '../faults/private-mariadb'
import { listeningUrl, runServerToExit, startServer, waitForOutput } from '../support/server-process'

// Issue 8 item 4: a database that is down at start is waited for, with bounded backoff, each
// attempt logged with its host and port; the service comes up by itself once the database
// does, and gives up after DB_CONNECT_RETRY_MS with one line naming where it looked.
t.test('start-up waits for a database that is down, then comes up by itself', async (t) => {
  const server = await PrivateMariaDb.start(t)
  await server.stop()
  const databaseUrl = `${server.url}/lifeguard_start_waits`

  const child = startServer({ DATABASE_URL: databaseUrl, DB_CONNECT_RETRY_MS: '60000' })
  t.teardown(() => child.kill('SIGKILL'))
  // Two attempts logged, not one: the first refusal did not end the process. Polled rather
  // than slept for, since a loaded machine can take seconds just to load the TypeScript.
  const waiting = `waiting for the database at 127\\.0\\.0\\.1:${server.port}`
  await waitForOutput(child, new RegExp(`${waiting}[^]*${waiting}`), 30_000)
  t.equal(child.exitCode, null, 'still waiting, not exited')
  const attempts = child.output.stdout.match(new RegExp(waiting, 'g'))?.length ?? 0
  t.ok(attempts >= 2, `each attempt is logged with host and port (${attempts} so far)`)
  await server.launch()
  const base = await listeningUrl(child, 60_000)
  const ready = await fetch(`${base}/health/ready`)
  t.equal(ready.status, 200, 'ready once the database answers')
  t.match(child.output.stdout, /the database answers/)
  child.kill('SIGTERM')
  t.equal(await child.exited, 0)
})

t.test('start-up gives up after DB_CONNECT_RETRY_MS with one line naming the host', async (t) => {
  const server = await PrivateMariaDb.start(t)
  await server.stop()
  const started = Date.now()
  const { code, stderr } = await runServerToExit({
    DATABASE_URL: `${server.url}/lifeguard_start_waits`,
    DB_CONNECT_RETRY_MS: '1500',
    DB_POOL_ACQUIRE_TIMEOUT_MS: '1000'
  })
  const took = Date.now() - started
  t.equal(code, 1)
  const lines = stderr.trim().split('\n')
  t.equal(lines.length, 1, `one line: ${stderr}`)
  t.match(lines[0], new RegExp(`the database at 127\\.0\\.0\\.1:${server.port} did not answer within DB_CONNECT_RETRY_MS \\(1500 ms`))
  t.ok(took < 15_000, `gave up in ${took} ms`)
})

t.test('a refusal that waiting cannot fix fails at once', async (t) => {
  const server = await PrivateMariaDb.start(t)
  const started = Date.now()
  const { code, stderr } = await runServerToExit({ DATABASE_URL: `mariadb://nobody:wrong@127.0.0.1:${server.port}/x`, DB_CONNECT_RETRY_MS: '30000' })
  t.equal(code, 1)
  t.match(stderr, new RegExp(`the database at 127\\.0\\.0\\.1:${server.port} refused the connection: ER_ACCESS_DENIED_ERROR`))
  t.notMatch(stderr, /wrong/, 'no password in the message')
  t.ok(Date.now() - started < 15_000, 'no waiting')
})
