import t from 'tap'
import type { PoolConnection } from 'mysql2'
import { errorCodeOf, isConnectionError, isRetryableRead } from '../../src/pool/connection-errors'
import { newConnectionState, trackServerStatus } from '../../src/pool/connection-state'
import { guardSettingsFromConfig } from '../../src/pool/guard-settings'
import { idleToRetire } from '../../src/pool/idle-sweeper'
import { loadConfig } from '../../src/config'

const noOriginals = {} as Parameters<typeof newConnectionState>[2]

t.test('only plain reads are retried on another connection', async (t) => {
  for (const sql of ['SELECT 1', '  select * from books where id = ?', '/* hint */ SELECT 1', 'WITH x AS (SELECT 1) SELECT * FROM x', 'SHOW TABLES', '(SELECT 1) UNION (SELECT 2)']) {
    t.ok(isRetryableRead(sql), sql)
  }
  for (const sql of ['INSERT INTO a VALUES (1)', 'UPDATE a SET b = 1', 'DELETE FROM a', 'SELECT * FROM a FOR UPDATE', 'SELECT * FROM a LOCK IN SHARE MODE', 'SELECT 1 INTO @x', 'START TRANSACTION', 'CALL p()', undefined, "SELECT GET_LOCK('a', 1)", 'SELECT LAST_INSERT_ID()', 'select found_rows()', 'SELECT @n', 'SELECT CONNECTION_ID()', "SELECT IS_USED_LOCK('a')"]) {
    t.notOk(isRetryableRead(sql), String(sql))
  }
})

t.test('connection-level errors are told apart from statement errors', async (t) => {
  t.ok(isConnectionError({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true }))
  t.ok(isConnectionError({ code: 'ECONNRESET' }))
  t.ok(isConnectionError({ code: 'EPIPE' }))
  t.ok(isConnectionError({ code: 'ER_SERVER_SHUTDOWN', errno: 1053 }))
  t.ok(isConnectionError({ errno: 1927 }), 'MariaDB connection killed, which mysql2 has no code for')
  t.ok(isConnectionError({ fatal: true }))
  t.notOk(isConnectionError({ code: 'ER_DUP_ENTRY', errno: 1062 }))
  t.notOk(isConnectionError({ errno: 1969 }), 'a statement timeout leaves the connection usable')
  t.notOk(isConnectionError(new Error('plain')))
  t.equal(errorCodeOf({ errno: 1969 }), 'ER_STATEMENT_TIMEOUT')
  t.equal(errorCodeOf({ errno: 1234 }), 'ERRNO_1234')
  t.equal(errorCodeOf({ code: 'ER_DUP_ENTRY', errno: 1062 }), 'ER_DUP_ENTRY')
  t.equal(errorCodeOf(null), 'UNKNOWN')
})

t.test('the transaction flag follows SERVER_STATUS_IN_TRANS of OK packets', async (t) => {
  const state = newConnectionState(0, 0, noOriginals)
  trackServerStatus(state, { affectedRows: 0, serverStatus: 3 })
  t.equal(state.inTransaction, true, 'START TRANSACTION answers with IN_TRANS set')
  trackServerStatus(state, [{ id: 1 }])
  t.equal(state.inTransaction, true, 'rows carry no status: unchanged')
  trackServerStatus(state, { affectedRows: 0, serverStatus: 2 })
  t.equal(state.inTransaction, false, 'COMMIT answers with IN_TRANS clear')
})

t.test('max lifetime is shortened by up to 10 % jitter, and 0 means forever', async (t) => {
  t.equal(newConnectionState(1_000, 10_000, noOriginals, () => 0).retireAt, 11_000)
  t.equal(newConnectionState(1_000, 10_000, noOriginals, () => 0.999999).retireAt > 10_000, true)
  t.equal(Math.round(newConnectionState(1_000, 10_000, noOriginals, () => 1).retireAt), 10_000)
  t.equal(newConnectionState(1_000, 0, noOriginals).retireAt, Number.POSITIVE_INFINITY)
})

t.test('settings come from config; the sweeper runs often enough for the lifetime', async (t) => {
  const defaults = guardSettingsFromConfig(loadConfig({}))
  t.match(defaults, { connectionLimit: 10, maxIdle: 10, acquireTimeoutMs: 5_000, queueLimit: 1_000, sweepIntervalMs: 1_000 })
  const short = guardSettingsFromConfig(loadConfig({ DB_POOL_MAX_LIFETIME_MS: '2000', DB_POOL_MAX_IDLE: '50', DB_POOL_SIZE: '5' }))
  t.equal(short.sweepIntervalMs, 500)
  t.equal(short.maxIdle, 5, 'never more idle than the pool size')
})

t.test('the sweeper picks dead, over-age, and surplus idle connections', async (t) => {
  const now = 100_000
  const fake = (state: string, lastActiveTime: number) => ({ state, lastActiveTime }) as unknown as PoolConnection
  const dead = fake('error', now)
  const old = fake('authenticated', now)
  const stale = fake('authenticated', now - 5_000)
  const fresh = fake('authenticated', now)
  const states = new WeakMap()
  states.set(dead, newConnectionState(0, 0, noOriginals))
  states.set(old, { ...newConnectionState(0, 0, noOriginals), retireAt: now - 1 })
  states.set(stale, newConnectionState(0, 0, noOriginals))
  states.set(fresh, newConnectionState(0, 0, noOriginals))
  const picked = idleToRetire([dead, old, stale, fresh], states, { maxIdle: 1, idleTimeoutMs: 1_000 }, now)
  t.same(picked.map(([, reason]) => reason), ['connection_lost', 'max_lifetime', 'idle_timeout'])
  t.same(idleToRetire([stale, fresh], states, { maxIdle: 2, idleTimeoutMs: 1_000 }, now), [], 'not while within maxIdle')
})
