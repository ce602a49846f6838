import t from 'tap'
import { ConfigError, loadConfig, loadConfigWithWarnings, redactUrl } from '../src/config'
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
    DB_STATEMENT_TIMEOUT_MS: 15_000,
    REST_MAX_OFFSET: 10_000,
    REST_MAX_SCAN_ROWS: 0,
    REST_COUNT_EXACT_BELOW: 10_000,
    REST_EXPLAIN: false
  })
  t.equal(config.DB_POOL_MAX_IDLE, undefined, 'max idle follows the pool size unless set')
})

t.test('numbers are coerced from strings, and empty strings mean "use the default"', async (t) => {
  const config = loadConfig({ DB_POOL_SIZE: '3', PORT: '', LOG_LEVEL: 'warn' })
  t.equal(config.DB_POOL_SIZE, 3)
  t.equal(config.PORT, 3000)
  t.equal(config.LOG_LEVEL, 'warn')
})

t.test('switches take 1 and 0 as well as true and false, and nothing else', async (t) => {
  t.equal(loadConfig({ DB_POOL_BUDGET_STRICT: '1' }).DB_POOL_BUDGET_STRICT, true)
  t.equal(loadConfig({ MIGRATIONS_RUN: '0' }).MIGRATIONS_RUN, false)
  t.equal(loadConfig({ HTTP_SERVER_TIMING: 'false' }).HTTP_SERVER_TIMING, false)
  t.equal(loadConfig({ DB_SSL_REJECT_UNAUTHORIZED: '0', DB_SSL_CA: '/dev/null' }).DB_SSL_REJECT_UNAUTHORIZED, false, 'an optional switch too')
  const err = t.throws(() => loadConfig({ CORS_CREDENTIALS: 'yes' }), ConfigError) as unknown as Error
  t.match(err.message, /CORS_CREDENTIALS must be true or false \(1 or 0\)/)
  t.equal(loadConfig({ DB_POOL_SIZE: '1' }).DB_POOL_SIZE, 1, 'a number stays a number')
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

t.test('every invalid variable is reported at once, one line each, in schema order', async (t) => {
  const env = {
    DB_POOL_SIZE: 'abc',
    LOG_LEVEL: 'loud',
    DATABASE_URL: 'postgres://app:s3cret@db/shop',
    PORT: '-1',
    DB_POOL_QUEUE_LIMIT: '2.5',
    HOST: 'db.example'
  }
  const err = t.throws(() => loadConfig(env), ConfigError) as unknown as Error
  const lines = err.message.split('\n')
  t.same(
    lines.map((line) => /^Invalid configuration: (\w+) must be /.exec(line)?.[1]),
    ['DATABASE_URL', 'PORT', 'LOG_LEVEL', 'DB_POOL_SIZE', 'DB_POOL_QUEUE_LIMIT'],
    'one line per bad variable (LOG_LEVEL once, although ajv reports each of its choices), none for HOST'
  )
  t.match(lines[0], /a URL like mariadb:\/\/.*\(got "postgres:\/\/app:\*\*\*@db\/shop"\)$/)
  t.match(lines[1], /an integer >= 0 and <= 65535 .*\(got "-1"\)$/)
  t.match(lines[2], /one of fatal, error, warn, info, debug, trace, silent \(got "loud"\)$/)
  t.match(lines[3], /an integer >= 1 and <= 1000 .*\(got "abc"\)$/)
  t.match(lines[4], /an integer >= 0 .*\(got "2.5"\)$/)
  t.notMatch(err.message, /s3cret/, 'the password is redacted')
})

t.test('only the env passed in is read: process.env does not leak into loadConfig(env)', async (t) => {
  const saved = { ...process.env }
  t.teardown(() => {
    for (const key of ['DB_POOL_SIZE', 'PORT', 'DB_POOL_SZE']) delete process.env[key]
    Object.assign(process.env, saved)
  })
  Object.assign(process.env, { DB_POOL_SIZE: '7', PORT: '', DB_POOL_SZE: '3' })
  const { config, warnings } = loadConfigWithWarnings({})
  t.equal(config.DB_POOL_SIZE, 10, 'a shell export does not change the config of loadConfig({})')
  t.equal(config.PORT, 3000, 'nor does an empty one break it')
  t.same(warnings, [], 'nor produce warnings')
  t.equal(loadConfig().DB_POOL_SIZE, 7, 'process.env is still the default source')
})

t.test('an unknown DB_ or LIFEGUARD_ variable is a warning naming the closest known one', async (t) => {
  const { config, warnings } = loadConfigWithWarnings({
    DB_POOL_SZE: '3',
    DB_POOL_ACQUIRE_TIMEOUT: 'hunter2',
    LIFEGUARD_PORT: '8080',
    db_pool_size: '4',
    DB_POOL_SIZE: '5'
  })
  t.equal(config.DB_POOL_SIZE, 5, 'the known variables still load')
  t.equal(config.PORT, 3000, 'and the unknown ones are ignored')
  t.same(
    warnings.map(({ variable, closest }) => [variable, closest]),
    [
      ['DB_POOL_ACQUIRE_TIMEOUT', 'DB_POOL_ACQUIRE_TIMEOUT_MS'],
      ['DB_POOL_SZE', 'DB_POOL_SIZE'],
      ['LIFEGUARD_PORT', 'PORT'],
      ['db_pool_size', 'DB_POOL_SIZE']
    ]
  )
  t.equal(warnings[1].message, 'Unknown variable DB_POOL_SZE is ignored; did you mean DB_POOL_SIZE?')
  t.notMatch(JSON.stringify(warnings), /hunter2/, 'a warning names variables, never their values')
})

t.test('other tools\' variables never fail start-up, and only DB_/LIFEGUARD_ ones are warned about', async (t) => {
  const { config, warnings } = loadConfigWithWarnings({
    DB_HOST: 'db.example',
    DB_PASSWORD: 'x',
    MYSQL_PWD: 'x',
    MARIADB_ROOT_PASSWORD: 'x',
    HOME: '/root',
    TEST_DATABASE_URL: 'mariadb://root@127.0.0.1:3306',
    DATABASE_URL: 'mariadb://app@db/shop'
  })
  t.equal(config.DATABASE_URL, 'mariadb://app@db/shop')
  t.same(
    warnings.map((warning) => warning.variable),
    ['DB_HOST', 'DB_PASSWORD']
  )
  t.same(loadConfigWithWarnings({}).warnings, [], 'no warnings for an empty env')
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

t.test('server.ts prints every invalid variable, one stderr line each, and exits 1', async (t) => {
  const bad = await runServerToExit({ DB_POOL_SIZE: 'many', PORT: 'eighty' })
  t.equal(bad.code, 1)
  const lines = bad.stderr.split('\n').filter(Boolean)
  t.equal(lines.length, 2)
  t.match(lines[0], /^Invalid configuration: PORT must be an integer .*\(got "eighty"\)$/)
  t.match(lines[1], /^Invalid configuration: DB_POOL_SIZE must be an integer .*\(got "many"\)$/)
  t.equal(bad.stdout, '')
})

t.test('server.ts logs a misspelt DB_ variable as a warning before it connects, and carries on', async (t) => {
  // A refused login fails start-up at once: enough to see what was logged before connecting.
  const server = new URL(TEST_SERVER_URL)
  const wrongPassword = `mariadb://root:hunter2@${server.hostname}:${server.port || 3306}/lg_never_created`
  const run = await runServerToExit({ DB_POOL_SZE: '5', DATABASE_URL: wrongPassword })
  const logLines = run.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line))
  t.match(logLines[0], {
    level: 40,
    variable: 'DB_POOL_SZE',
    closest: 'DB_POOL_SIZE',
    msg: 'Unknown variable DB_POOL_SZE is ignored; did you mean DB_POOL_SIZE?'
  })
  t.equal(logLines.filter((line) => line.variable).length, 1, 'one warning per unknown variable')
  t.match(run.stderr, /^Lifeguard failed to start: .*Access denied/, 'the warning did not stop start-up: the database did')
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
