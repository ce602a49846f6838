import t from 'tap'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import mysql from 'mysql2/promise'
import { PrivateMariaDb } from '../faults/private-mariadb'
import { listeningUrl, operatorEnv, ROOT, startServer } from '../support/server-process'
import { makeTestCertificates } from './test-certificates'
import { APP_GRANTS } from './dml-user'

const execFileAsync = promisify(execFile)

/**
 * The real server, as an operator deploys it: a DML-only app account with a client certificate
 * (REQUIRE X509), a separate migrations account, both with passwords, TLS to a server that
 * requires it. Its whole log output, at trace level, must hold none of the secrets.
 */
t.test('npm start with a DML-only account, a migrations account and TLS files logs no secret', async (t) => {
  const certs = await makeTestCertificates(t)
  const server = await PrivateMariaDb.start(t, [], {
    tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey, requireSecureTransport: true }
  })
  const database = 'lg_shop'
  // Characters a URL must percent-encode, so both the raw and the encoded form are looked for.
  const appPassword = `app:p@ss/${randomBytes(6).toString('hex')}`
  const ownerPassword = `own#er%${randomBytes(6).toString('hex')}`
  const admin = await server.admin()
  t.teardown(() => admin.end())
  await admin.query(`CREATE USER 'lg_app'@'%' IDENTIFIED BY ? REQUIRE X509`, [appPassword])
  await admin.query(`GRANT ${APP_GRANTS} ON ${mysql.escapeId(database)}.* TO 'lg_app'@'%'`)
  await admin.query(`CREATE USER 'lg_owner'@'%' IDENTIFIED BY ?`, [ownerPassword])
  await admin.query(`GRANT ALL PRIVILEGES ON ${mysql.escapeId(database)}.* TO 'lg_owner'@'%'`)

  const urlOf = (user: string, password: string) => `mariadb://${user}:${encodeURIComponent(password)}@127.0.0.1:${server.port}/${database}`
  const env = {
    DATABASE_URL: urlOf('lg_app', appPassword),
    MIGRATIONS_DATABASE_URL: urlOf('lg_owner', ownerPassword),
    DB_SSL_CA: certs.ca,
    DB_SSL_CERT: certs.clientCert,
    DB_SSL_KEY: certs.clientKey,
    LOG_LEVEL: 'trace'
  }
  const child = startServer(env)
  t.teardown(() => child.kill('SIGKILL'))
  const base = await listeningUrl(child, 60_000)

  const post = (path: string, body: object) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const author = (await (await post('/authors', { name: 'Ursula' })).json()) as { id: number }
  const secretIsbn = `isbn-${randomBytes(6).toString('hex')}`
  const book = { title: 'A Wizard of Earthsea', isbn: secretIsbn, price: 12.5, stock: 4, authorId: author.id }
  t.equal((await post('/books', book)).status, 201, 'the DML-only account writes')
  t.equal((await post('/books', book)).status, 409, "a duplicate: the driver's message quotes the value")
  t.equal((await fetch(`${base}/books?orderby.title=asc`)).status, 200)
  t.equal((await fetch(`${base}/health/ready`)).status, 200)
  t.equal((await post('/orders', { bookId: 1, quantity: 99 })).status, 409, 'an order transaction as the DML-only account')

  const [grants] = await admin.query("SELECT user FROM information_schema.PROCESSLIST WHERE user = 'lg_app'")
  t.ok((grants as unknown[]).length >= 1, 'the pool is connected as lg_app')
  const [applied] = await admin.query(`SELECT name FROM ${mysql.escapeId(database)}.migrations`)
  t.match(applied, [{ name: /^DomainSchema\d+$/ }], 'start-up migrated as lg_owner (lg_app may not CREATE)')

  // The migration CLI takes the same variables: migrations account, TLS files.
  const cli = await execFileAsync('npm', ['run', '--silent', 'migration:show'], { cwd: ROOT, env: operatorEnv(env), timeout: 60_000 })
  t.match(cli.stdout, /\[X\].*DomainSchema\d+/, 'the CLI connects over TLS as the migrations account')

  child.kill('SIGTERM')
  t.equal(await child.exited, 0)
  const output = child.output.stdout + child.output.stderr + cli.stdout + cli.stderr
  t.match(output, /"msg":"database ready"/, 'the log is there to be read')
  t.ok(output.includes(`"database":"mariadb://lg_app:***@127.0.0.1:${server.port}/${database}"`), 'the database is named, its password masked')
  for (const password of [appPassword, ownerPassword]) {
    t.notOk(output.includes(password), 'no password, as typed')
    t.notOk(output.includes(encodeURIComponent(password)), 'no password, as written in the URL')
    t.notOk(output.includes(password.slice(-12)), 'no fragment of it')
  }
  const keyLines = readFileSync(certs.clientKey, 'utf8').split('\n').filter((line) => /^[A-Za-z0-9+/=]{40,}$/.test(line))
  t.ok(keyLines.length > 10, 'the key has lines to look for')
  t.same(keyLines.filter((line) => output.includes(line.slice(0, 32))), [], 'no line of the private key')
  t.notOk(output.includes('PRIVATE KEY'), 'no PEM block at all')
  const duplicateLines = output.split('\n').filter((line) => line.includes('database error mapped to 409'))
  t.equal(duplicateLines.length, 1, 'the duplicate was logged')
  t.match(duplicateLines[0], /ER_DUP_ENTRY/, 'with its driver code')
  t.notOk(output.includes(secretIsbn), 'no bound value, not even the one the duplicate-key message quoted')
})
