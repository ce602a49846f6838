import t from 'tap'
import mysql from 'mysql2/promise'
import { loadConfig } from '../../src/config'
import { checkConnectionBudget, type ConnectionBudget } from '../../src/db/connection-budget'
import { CONNECTIONS_BESIDE_POOL } from '../../src/pool/pool-guard'
import { PrivateMariaDb } from '../faults/private-mariadb'
import { runServerToExit } from '../support/server-process'

// Issue 12 §4: at start-up each instance reads max_connections and the connections already
// open, and warns (or refuses with DB_POOL_BUDGET_STRICT) when its pool would break the budget.

const MAX_CONNECTIONS = 12

interface Logged {
  level: 'info' | 'warn'
  obj: Record<string, unknown>
  msg: string
}

function captureLog() {
  const lines: Logged[] = []
  return {
    lines,
    info: (obj: object, msg: string) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    warn: (obj: object, msg: string) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg })
  }
}

t.test('a private server with max_connections 12 and 6 connections open, one of them a capped account\'s', async (t) => {
  const server = await PrivateMariaDb.start(t, [`--max-connections=${MAX_CONNECTIONS}`])
  const held: mysql.Connection[] = []
  t.teardown(() => held.forEach((connection) => connection.destroy()))
  const admin = await server.admin()
  held.push(admin)
  // An account with its own limit, for the max_user_connections check.
  await admin.query("CREATE USER 'capped'@'%' WITH MAX_USER_CONNECTIONS 4")
  for (let i = 0; i < 4; i++) held.push(await server.admin())
  held.push(await mysql.createConnection({ host: '127.0.0.1', port: server.port, user: 'capped' }))
  // The check's own connection comes on top; it counts the others.
  const [[status]] = (await admin.query("SHOW GLOBAL STATUS LIKE 'Threads_connected'")) as unknown as [[{ Value: string }]]
  t.equal(Number(status.Value), held.length, 'the server sees exactly the connections this test holds')
  const headroom = MAX_CONNECTIONS - held.length
  const configFor = (env: Record<string, string>) => loadConfig({ DATABASE_URL: `${server.url}/budget`, ...env })

  await t.test('a pool that does not fit: one warning naming the numbers and the fix', async (t) => {
    const poolSize = headroom - CONNECTIONS_BESIDE_POOL + 1
    const log = captureLog()
    const budget = await checkConnectionBudget(configFor({ DB_POOL_SIZE: String(poolSize) }), log)
    const expected: ConnectionBudget = {
      maxConnections: MAX_CONNECTIONS,
      connected: held.length,
      maxUserConnections: 0,
      userConnected: held.length - 1, // root's: the capped account's one is not
      need: poolSize + CONNECTIONS_BESIDE_POOL,
      poolSize
    }
    t.same(budget, expected)
    t.equal(log.lines.length, 1, 'one line')
    t.equal(log.lines[0].level, 'warn')
    t.same(log.lines[0].obj, expected, 'the numbers as fields')
    t.equal(
      log.lines[0].msg,
      `the connection budget does not fit: max_connections is 12, ${held.length} already connected, this instance's pool needs ${poolSize + 2} ` +
        `(DB_POOL_SIZE ${poolSize} + 2 of the pool guard's own); lower DB_POOL_SIZE, run fewer instances or raise max_connections (docs/ops/scaling.md)`
    )
  })

  await t.test('a pool that just fits: no warning, one info line', async (t) => {
    const log = captureLog()
    await checkConnectionBudget(configFor({ DB_POOL_SIZE: String(headroom - CONNECTIONS_BESIDE_POOL) }), log)
    t.same(
      log.lines.map(({ level, msg }) => ({ level, msg })),
      [{ level: 'info', msg: 'connection budget: the pool fits' }]
    )
    t.match(log.lines[0].obj, { maxConnections: 12, connected: held.length, need: headroom })
  })

  await t.test("an account whose max_user_connections is lower than the pool's need: a warning about that limit", async (t) => {
    const log = captureLog()
    const capped = `mariadb://capped@127.0.0.1:${server.port}/budget`
    await checkConnectionBudget(loadConfig({ DATABASE_URL: capped, DB_POOL_SIZE: '3' }), log)
    t.equal(log.lines.length, 1, 'one line: max_connections is fine (3 + 2 <= 12 - 6)')
    t.equal(log.lines[0].level, 'warn')
    t.match(log.lines[0].obj, { maxUserConnections: 4, userConnected: 1, need: 5 })
    t.match(log.lines[0].msg, /^the account's connection limit does not fit: max_user_connections is 4, 1 already connected as this user, this instance's pool needs 5 /)
    t.match(log.lines[0].msg, /raise the account's MAX_USER_CONNECTIONS/)
  })

  await t.test("with replicas: each replica's budget too, as its own account, probe included", async (t) => {
    // The "replica" is this same server as the capped account: the budget reading does not care whether it replicates.
    const env = { DB_POOL_SIZE: '3', DATABASE_REPLICA_URLS: `mariadb://capped@127.0.0.1:${server.port}` }
    const log = captureLog()
    await checkConnectionBudget(configFor(env), log)
    t.same(log.lines.map(({ level, msg }) => `${level}: ${msg.split(';')[0]}`), [
      'info: connection budget: the pool fits',
      `warn: replica 127.0.0.1:${server.port}: the account's connection limit does not fit: max_user_connections is 4, 1 already connected as this user, ` +
        "this instance's pool needs 6 (DB_POOL_SIZE 3 + 3 of the pool guard's own and the replica probe's)"
    ])
    t.match(log.lines[1].obj, { node: `127.0.0.1:${server.port}`, maxUserConnections: 4, userConnected: 1, need: 6 })
    await t.rejects(checkConnectionBudget(configFor({ ...env, DB_POOL_BUDGET_STRICT: 'true' }), captureLog()), {
      name: 'ConnectionBudgetError',
      message: new RegExp(`^replica 127\\.0\\.0\\.1:${server.port}: the account's connection limit does not fit: .* \\(DB_POOL_BUDGET_STRICT is on\\)$`)
    })
    // A replica down at start-up is no reason not to start: the app runs without it until its probe finds it.
    const down = captureLog()
    await t.resolves(checkConnectionBudget(configFor({ DB_POOL_SIZE: '3', DATABASE_REPLICA_URLS: 'mariadb://reader@127.0.0.1:1', DB_POOL_BUDGET_STRICT: 'true' }), down))
    t.same(down.lines.map(({ level, obj }) => `${level} ${String(obj.reason ?? '')}`), ['info ', 'warn ECONNREFUSED'])
  })

  await t.test('DB_POOL_BUDGET_STRICT=true: the server refuses to start with one line, before it migrates', async (t) => {
    const { code, stderr, stdout } = await runServerToExit(
      { DATABASE_URL: `${server.url}/budget_strict`, DB_POOL_SIZE: String(headroom), DB_POOL_BUDGET_STRICT: 'true' },
      20_000
    )
    t.equal(code, 1, 'exits 1')
    t.equal(
      stderr,
      `Lifeguard failed to start: the connection budget does not fit: max_connections is 12, ${held.length} already connected, ` +
        `this instance's pool needs ${headroom + 2} (DB_POOL_SIZE ${headroom} + 2 of the pool guard's own); ` +
        'lower DB_POOL_SIZE, run fewer instances or raise max_connections (docs/ops/scaling.md) (DB_POOL_BUDGET_STRICT is on)\n'
    )
    t.notMatch(stdout, /applied pending migrations|Server listening/, 'neither migrated nor listened')
  })

  await t.test('DB_POOL_BUDGET_STRICT=true and a pool that fits: no refusal', async (t) => {
    const log = captureLog()
    const strict = configFor({ DB_POOL_SIZE: String(headroom - CONNECTIONS_BESIDE_POOL), DB_POOL_BUDGET_STRICT: 'true' })
    await t.resolves(checkConnectionBudget(strict, log))
    t.same(log.lines.map(({ level }) => level), ['info'])
  })
})

t.test('a budget that cannot be read: a warning and no check; a refusal when strict', async (t) => {
  // Nothing listens on port 1: the login is refused at once.
  const unreadable = { DATABASE_URL: 'mariadb://root@127.0.0.1:1/budget', DB_POOL_ACQUIRE_TIMEOUT_MS: '1000' }
  const log = captureLog()
  t.equal(await checkConnectionBudget(loadConfig(unreadable), log), undefined)
  t.same(log.lines, [{ level: 'warn', obj: { reason: 'ECONNREFUSED' }, msg: 'could not read the connection budget; not checked' }])
  await t.rejects(checkConnectionBudget(loadConfig({ ...unreadable, DB_POOL_BUDGET_STRICT: 'true' }), captureLog()), {
    name: 'ConnectionBudgetError',
    message: 'could not read the connection budget (DB_POOL_BUDGET_STRICT is on): ECONNREFUSED'
  })
})
