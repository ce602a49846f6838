import t from 'tap'
import { ConfigError, loadConfig, redactUrl } from '../src/config'
import { runServerToExit } from './support/server-process'
import { TEST_SERVER_URL } from './helper'

t.test('defaults cover every variable', async (t) => {
  const config = loadConfig({})
  t.match(config, {
    DATABASE_URL: 'mariadb://root@127.0.0.1:3306/lifeguard',
    PORT: 3000,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    DB_POOL_SIZE: 10,
    DB_POOL_IDLE_TIMEOUT_MS: 60_000,
    DB_POOL_QUEUE_LIMIT: 1000,
    DB_POOL_ACQUIRE_TIMEOUT_MS: 5_000,
    DB_POOL_LEAK_DETECTION_MS: 0,
    DB_STATEMENT_TIMEOUT_MS: 0
  })
  t.equal(config.DB_POOL_MAX_IDLE, undefined, 'max idle follows the pool size unless set')
})

t.test('numbers are coerced from strings, and empty strings mean "use the default"', async (t) => {
  const config = loadConfig({ DB_POOL_SIZE: '3', PORT: '', LOG_LEVEL: 'warn' })
  t.equal(config.DB_POOL_SIZE, 3)
  t.equal(config.PORT, 3000)
  t.equal(config.LOG_LEVEL, 'warn')
})

t.test('a bad value is a ConfigError naming the variable and what it accepts', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ DB_POOL_SIZE: 'abc' }, /^Invalid configuration: DB_POOL_SIZE must be an integer >= 1 and <= 1000 .*\(got "abc"\)$/],
    [{ DB_POOL_SIZE: '0' }, /^Invalid configuration: DB_POOL_SIZE must be an integer >= 1/],
    [{ PORT: '70000' }, /^Invalid configuration: PORT must be an integer >= 0 and <= 65535/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
    [{ DATABASE_URL: 'postgres://x@y/z' }, /^Invalid configuration: DATABASE_URL must be a URL like mariadb:\/\//],
    [{ DB_STATEMENT_TIMEOUT_MS: '1.5' }, /^Invalid configuration: DB_STATEMENT_TIMEOUT_MS must be an integer >= 0/]
  ]
  for (const [env, message] of cases) {
    const err = t.throws(() => loadConfig(env), ConfigError, JSON.stringify(env)) as unknown as Error
    t.match(err.message, message)
    t.notMatch(err.message, /\n/, 'one line')
  }
})

t.test('redactUrl hides the password and nothing else', async (t) => {
  t.equal(redactUrl('mariadb://app:s3cret@db:3306/shop'), 'mariadb://app:***@db:3306/shop')
  t.equal(redactUrl('mariadb://app@db/shop'), 'mariadb://app@db/shop')
  t.equal(redactUrl('mariadb://root@127.0.0.1:3306/lifeguard'), 'mariadb://root@127.0.0.1:3306/lifeguard', 'a port is not a password')
  t.equal(redactUrl('mariadb://db.example:3306/shop'), 'mariadb://db.example:3306/shop')
  // Passwords with the characters that end userinfo, raw or percent-encoded.
  const passwords: Array<[string, string]> = [
    ['mariadb://app:p@ss@Canary9x@db.example:3306/x', 'mariadb://app:***@db.example:3306/x'],
    ['mariadb://app:pa:ss:Canary9x@db.example/x', 'mariadb://app:***@db.example/x'],
    ['mariadb://app:pa/ss/Canary9x@db.example/x', 'mariadb://app:***@db.example/x'],
    ['mariadb://app:p%40ss%3ACanary9x%2F@db.example/x', 'mariadb://app:***@db.example/x'],
    ['mysql://app:@Canary9x:/@db.example:3306/x?ssl=true', 'mysql://app:***@db.example:3306/x?ssl=true'],
    ['MARIADB://app:Canary9x@db.example/x', 'MARIADB://app:***@db.example/x'],
    ['mariadb://:Canary9x@db.example/x', 'mariadb://:***@db.example/x']
  ]
  for (const [url, redacted] of passwords) {
    t.equal(redactUrl(url), redacted, url)
    t.notMatch(redactUrl(url), /Canary9x|ss[@:/%]/, 'no part of the password is left')
  }
  const err = t.throws(() => loadConfig({ DATABASE_URL: 'postgres://app:s3cret@db/shop' })) as unknown as Error
  t.notMatch(err.message, /s3cret/)
  t.match(err.message, /postgres:\/\/app:\*\*\*@db\/shop/)
})

t.test('a bad env value makes server.ts exit 1 with one stderr line naming the variable', async (t) => {
  const bad = await runServerToExit({ DB_POOL_SIZE: 'many', DATABASE_URL: 'mariadb://app:hunter2@127.0.0.1:1/nope' })
  t.equal(bad.code, 1)
  const lines = bad.stderr.split('\n').filter(Boolean)
  t.equal(lines.length, 1, 'exactly one line')
  t.match(lines[0], /^Invalid configuration: DB_POOL_SIZE must be an integer/)
  t.notMatch(bad.stderr, /\bat .*\.ts:\d+/, 'no stack trace')
  t.equal(bad.stdout, '', 'nothing else printed')
  t.notMatch(bad.stderr + bad.stdout, /hunter2/, 'the password never shows')
})

t.test('a bad DATABASE_URL is reported without its password', async (t) => {
  const bad = await runServerToExit({ DATABASE_URL: 'postgres://app:hunter2@127.0.0.1/shop' })
  t.equal(bad.code, 1)
  t.equal(bad.stderr.split('\n').filter(Boolean).length, 1)
  t.match(bad.stderr, /DATABASE_URL/)
  t.notMatch(bad.stderr + bad.stdout, /hunter2/)
})

t.test('a wrong database password fails start-up in one line without echoing it', async (t) => {
  const server = new URL(TEST_SERVER_URL)
  const wrongPassword = `mariadb://root:hunter2@${server.hostname}:${server.port || 3306}/lg_never_created`
  const bad = await runServerToExit({ DATABASE_URL: wrongPassword })
  t.equal(bad.code, 1)
  const lines = bad.stderr.split('\n').filter(Boolean)
  t.equal(lines.length, 1)
  t.match(lines[0], /^Lifeguard failed to start: the database at [^ ]+ refused the connection: ER_ACCESS_DENIED_ERROR Access denied/)
  t.notMatch(bad.stderr + bad.stdout, /hunter2/)
})
