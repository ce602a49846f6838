import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ConfigError, loadConfig } from '../../src/config'
import { databaseTls } from '../../src/db/tls-options'
import { dataSourceOptions } from '../../src/db/data-source-options'
import { migrationsConfig } from '../../src/db/prepare-database'
import { runServerToExit } from '../support/server-process'

const URL_BASE = 'mariadb://app:s3cret@127.0.0.1:3306/shop'

t.test('a query parameter in a database URL is a config error naming it, never ignored', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ DATABASE_URL: `${URL_BASE}?ssl=true` }, /^Invalid configuration: DATABASE_URL has the query parameter "ssl", which Lifeguard does not honour; set DB_SSL_CA/],
    [{ DATABASE_URL: `${URL_BASE}?sslmode=require` }, /"sslmode".*DB_SSL_CA/],
    [{ DATABASE_URL: `${URL_BASE}?charset=latin1` }, /"charset", which Lifeguard does not honour; remove it$/],
    [{ DATABASE_URL: URL_BASE, MIGRATIONS_DATABASE_URL: 'mariadb://root:t0p@127.0.0.1/shop?ssl=1' }, /^Invalid configuration: MIGRATIONS_DATABASE_URL has the query parameter "ssl"/]
  ]
  for (const [env, message] of cases) {
    const err = t.throws(() => loadConfig(env), ConfigError, JSON.stringify(env)) as unknown as Error
    t.match(err.message, message)
    t.notMatch(err.message, /s3cret|t0p/, 'no password in the message')
  }
  const both = t.throws(() => loadConfig({ DATABASE_URL: `${URL_BASE}?ssl=true&timezone=Z` })) as unknown as Error
  t.equal(both.message.split('\n').length, 2, 'one line per parameter')
  t.doesNotThrow(() => loadConfig({ DATABASE_URL: URL_BASE }), 'no parameter, no error')
})

t.test('MIGRATIONS_DATABASE_URL: another account on the same database, falling back to DATABASE_URL', async (t) => {
  const plain = loadConfig({ DATABASE_URL: URL_BASE })
  t.equal(migrationsConfig(plain), plain, 'unset: migrations use DATABASE_URL')
  const split = loadConfig({ DATABASE_URL: URL_BASE, MIGRATIONS_DATABASE_URL: 'mariadb://owner:p%40ss@db.internal:3307' })
  t.match(dataSourceOptions(migrationsConfig(split)), { username: 'owner', password: 'p@ss', host: 'db.internal', port: 3307, database: 'shop' })
  t.match(dataSourceOptions(split), { username: 'app', password: 's3cret', database: 'shop' }, 'the app keeps its own account')
  const err = t.throws(() => loadConfig({ DATABASE_URL: URL_BASE, MIGRATIONS_DATABASE_URL: 'mariadb://owner@127.0.0.1/other' })) as unknown as Error
  t.match(err.message, /^Invalid configuration: MIGRATIONS_DATABASE_URL names database "other" but DATABASE_URL names "shop"/)
  t.throws(() => loadConfig({ MIGRATIONS_DATABASE_URL: 'postgres://x@y/z' }), /MIGRATIONS_DATABASE_URL must be a URL like/)
})

t.test('DB_SSL_*: files read at start-up into mysql2 ssl options; an unreadable file is a config error', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lg-tls-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const pem = (name: string, label: string) => {
    const file = path.join(dir, name)
    writeFileSync(file, `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`)
    return file
  }
  const ca = pem('ca.pem', 'CERTIFICATE')
  const cert = pem('client.pem', 'CERTIFICATE')
  const key = pem('client-key.pem', 'PRIVATE KEY')

  t.equal(databaseTls(loadConfig({})), undefined, 'no DB_SSL_*: plaintext, as before')
  t.equal(dataSourceOptions(loadConfig({})).ssl, undefined)
  t.match(databaseTls(loadConfig({ DB_SSL_CA: ca })), { ca: /BEGIN CERTIFICATE/, rejectUnauthorized: true }, 'a CA verifies by default')
  t.match(databaseTls(loadConfig({ DB_SSL_CA: ca, DB_SSL_CERT: cert, DB_SSL_KEY: key, DB_SSL_REJECT_UNAUTHORIZED: 'false' })), {
    cert: /BEGIN CERTIFICATE/,
    key: /BEGIN PRIVATE KEY/,
    rejectUnauthorized: false
  })
  t.same(databaseTls(loadConfig({ DB_SSL_REJECT_UNAUTHORIZED: 'true' })), { rejectUnauthorized: true }, 'alone: TLS against the public roots')
  t.match(dataSourceOptions(loadConfig({ DB_SSL_CA: ca })).ssl, { ca: /BEGIN/ }, 'into the DataSource options, so into the pool')

  const missing = path.join(dir, 'nope.pem')
  t.throws(() => databaseTls(loadConfig({ DB_SSL_CA: missing })), {
    name: 'ConfigError',
    message: `Invalid configuration: DB_SSL_CA names ${JSON.stringify(missing)}, which cannot be read (ENOENT)`
  })
  if (process.getuid?.() !== 0) {
    const locked = pem('locked.pem', 'PRIVATE KEY')
    chmodSync(locked, 0o000)
    t.throws(() => databaseTls(loadConfig({ DB_SSL_CERT: cert, DB_SSL_KEY: locked })), /DB_SSL_KEY names .* cannot be read \(EACCES\)/)
  }
  const notPem = path.join(dir, 'ca.der')
  writeFileSync(notPem, Buffer.from([0x30, 0x82, 0x01, 0x0a]))
  t.throws(() => databaseTls(loadConfig({ DB_SSL_CA: notPem })), /DB_SSL_CA names .* which is not a PEM file/)
  t.throws(() => databaseTls(loadConfig({ DB_SSL_CERT: cert })), /DB_SSL_CERT and DB_SSL_KEY go together/)

  const run = await runServerToExit({ DB_SSL_CA: missing })
  t.equal(run.code, 1, 'npm start refuses an unreadable file')
  t.same(run.stderr.split('\n').filter(Boolean), [`Invalid configuration: DB_SSL_CA names ${JSON.stringify(missing)}, which cannot be read (ENOENT)`], 'in one line, like a typo')
  t.equal(run.stdout, '', 'before any attempt to connect')
})

t.test('npm start refuses ?ssl=true in DATABASE_URL instead of connecting in plaintext', async (t) => {
  const run = await runServerToExit({ DATABASE_URL: 'mariadb://root:hunter2@127.0.0.1:3306/lg_never_created?ssl=true' })
  t.equal(run.code, 1)
  t.match(run.stderr, /^Invalid configuration: DATABASE_URL has the query parameter "ssl"/)
  t.notMatch(run.stderr + run.stdout, /hunter2/)
})

t.test('a logged config object shows neither account password', async (t) => {
  const lines: string[] = []
  const { loggerOptions } = await import('../../src/http/logger')
  const pino = (await import('pino')).default
  const config = loadConfig({ DATABASE_URL: URL_BASE, MIGRATIONS_DATABASE_URL: 'mariadb://owner:t0p-s3cret@127.0.0.1/shop', LOG_LEVEL: 'info' })
  // Fastify takes `stream` inside the options; pino itself takes it as its second argument.
  const stream = { write: (line: string) => lines.push(line) }
  const log = pino(loggerOptions(config, stream) as never, stream)
  log.info({ config }, 'config')
  log.info({ MIGRATIONS_DATABASE_URL: config.MIGRATIONS_DATABASE_URL }, 'flat')
  const text = lines.join('')
  t.equal(lines.length, 2)
  t.notMatch(text, /s3cret|t0p-s3cret/)
  t.match(text, /"MIGRATIONS_DATABASE_URL":"\[redacted\]"/)
})
