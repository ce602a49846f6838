import t from 'tap'
import mysql from 'mysql2/promise'
import { PrivateMariaDb } from '../faults/private-mariadb'
import { buildAppOn, FAULT_DATABASE, runningStatements } from '../faults/fault-support'
import { runServerToExit } from '../support/server-process'
import { makeTestCertificates } from './test-certificates'

/**
 * TLS to the database against a private MariaDB that requires it (require_secure_transport=ON):
 * every connection Lifeguard opens that was not TLS would be refused, so each one that works
 * shows its kind of connection carries DB_SSL_*.
 */
t.test('with the right CA every connection is TLS: migrations, pool, health check, statement killer', async (t) => {
  const certs = await makeTestCertificates(t)
  const server = await PrivateMariaDb.start(t, [], {
    tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey, requireSecureTransport: true }
  })
  // MariaDB answers a plaintext login under require_secure_transport as an access denied.
  await t.rejects(
    mysql.createConnection({ host: '127.0.0.1', port: server.port, user: 'root' }),
    { code: 'ER_ACCESS_DENIED_ERROR' },
    'the server really refuses plaintext'
  )
  const tlsRoot = await server.admin()
  await tlsRoot.end()

  // buildAppOn creates the database and runs the migrations first: both over TLS, or refused.
  const app = await buildAppOn(t, server.url, {
    DB_SSL_CA: certs.ca,
    DB_POOL_SIZE: 2,
    DB_STATEMENT_TIMEOUT_MS: 0,
    DB_STATEMENT_DEADLINE_MS: 1_000
  })
  app.get('/test/runaway', async () => app.db.query("SELECT SLEEP(20) AS slept, 'tls-runaway' AS marker"))
  const sessions = await Promise.all([1, 2].map(() => app.db.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")))
  for (const [row] of sessions) t.match(row, { Variable_name: 'Ssl_cipher', Value: /^[A-Z0-9_-]+$/ }, `the app's pooled session is encrypted (${row.Value})`)
  const [version] = await app.db.query("SHOW SESSION STATUS LIKE 'Ssl_version'")
  t.match(version.Value, /^TLSv1\.[23]$/)
  t.equal((await app.inject('/books')).statusCode, 200, 'the REST fast path runs on the same TLS pool')
  t.equal((await app.inject('/health/ready')).statusCode, 200, 'the health connection is TLS too')

  // A statement past the client-side deadline is killed from a fresh connection of the killer's own.
  const response = await app.inject('/test/runaway')
  t.equal(response.statusCode, 503)
  const admin = await server.admin()
  t.teardown(() => admin.end())
  const deadline = Date.now() + 10_000
  let left: string[] = []
  while (Date.now() < deadline) {
    left = (await runningStatements(admin, FAULT_DATABASE)).filter((sql) => sql.includes('tls-runaway'))
    if (left.length === 0) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.same(left, [], "the statement killer's KILL QUERY reached the server (over TLS) well before SLEEP(20) ended")
})

t.test('start-up refuses a wrong CA in one line naming TLS and the host', async (t) => {
  const certs = await makeTestCertificates(t)
  const server = await PrivateMariaDb.start(t, [], {
    tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey, requireSecureTransport: true }
  })
  const where = `127.0.0.1:${server.port}`
  const env = { DATABASE_URL: `${server.url}/lg_tls_start`, DB_CONNECT_RETRY_MS: '5000' }

  const wrongCa = await runServerToExit({ ...env, DB_SSL_CA: certs.wrongCa })
  t.equal(wrongCa.code, 1)
  const lines = wrongCa.stderr.split('\n').filter(Boolean)
  t.equal(lines.length, 1, 'one line')
  t.match(lines[0], new RegExp(`^Lifeguard failed to start: TLS to the database at ${where} failed: .*; check that DB_SSL_CA \\(${certs.wrongCa}\\) is the CA that signed`))
  t.match(lines[0], /certificate/i, "it says what Node refused about the certificate")
  t.comment(lines[0])

  const rightCa = await runServerToExit({ ...env, DB_SSL_CA: certs.ca, MIGRATIONS_RUN: 'false', DATABASE_URL: `mariadb://nobody@127.0.0.1:${server.port}/x` })
  t.match(rightCa.stderr, /refused the connection: ER_ACCESS_DENIED_ERROR/, 'with the right CA the handshake passes and only the login is refused')
})
