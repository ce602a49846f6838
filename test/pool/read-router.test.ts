import t from 'tap'
import { fakeGuard } from './fake-guard'
import { ReadRouter, type ReplicaNode } from '../../src/pool/read-router'
import type { GuardedPool } from '../../src/pool/guarded-pool'
import type { ReplicaHealth } from '../../src/pool/replica-health'
import { acquireTimeoutError } from '../../src/pool/pool-errors'

// The routing rules of src/pool/read-router.ts on stand-in pools (the servers' side is
// test/faults/replicas.test.ts): which node a read goes to, and where it goes when that node fails.

type Outcome = { err?: unknown; rows?: unknown }

/** A stand-in guarded pool of 4: `load` borrows outstanding, `outcomes` answer its executes in turn (default: rows), `idle` connections ready. */
function fakePool(name: string, load = 0, outcomes: Outcome[] = [], idle = 0) {
  const ran: string[] = []
  const seenBorrowers: unknown[] = []
  const guard = fakeGuard(() => ({ total: Math.min(load, 4) + idle, idle, active: Math.min(load, 4), pending: Math.max(0, load - 4), max: 4 }))
  const pool = {
    guard,
    execute(sql: string, _values: unknown, callback: (err: unknown, rows?: unknown) => void) {
      ran.push(sql)
      seenBorrowers.push(guard.currentBorrower)
      const outcome = outcomes.shift() ?? { rows: [name] }
      process.nextTick(callback, outcome.err ?? null, outcome.err ? undefined : outcome.rows)
    }
  }
  return { pool: pool as unknown as GuardedPool, ran, seenBorrowers, name }
}

function fakeReplica(name: string, load = 0, outcomes: Outcome[] = [], usable = true) {
  const fake = fakePool(name, load, outcomes)
  const failures: unknown[] = []
  const health = {
    usable,
    reportFailure(err: unknown) {
      failures.push(err)
      health.usable = false
    }
  }
  const node: ReplicaNode = { name, pool: fake.pool, health: health as unknown as ReplicaHealth }
  return { ...fake, node, health, failures }
}

const read = (router: ReadRouter, sql = 'SELECT 1') =>
  new Promise<Outcome>((resolve) => router.execute(sql, [], (err, rows) => resolve({ err: err ?? undefined, rows })))

t.test('a read goes to the usable replica with the fewest outstanding borrows', async (t) => {
  const primary = fakePool('primary')
  const busy = fakeReplica('busy', 3)
  const idle = fakeReplica('idle', 1)
  const down = fakeReplica('down', 0, [], false)
  const router = new ReadRouter(primary.pool, [busy.node, idle.node, down.node])
  for (let i = 0; i < 4; i++) t.same((await read(router)).rows, ['idle'])
  t.equal(primary.ran.length + busy.ran.length + down.ran.length, 0, 'none elsewhere')
})

t.test('replicas that tie take turns', async (t) => {
  const a = fakeReplica('a')
  const b = fakeReplica('b')
  const router = new ReadRouter(fakePool('primary').pool, [a.node, b.node])
  for (let i = 0; i < 6; i++) await read(router)
  t.same([a.ran.length, b.ran.length], [3, 3])
})

t.test('every replica connection lent: the read spills over to the primary, if it has an idle connection', async (t) => {
  const primary = fakePool('primary', 1, [], 3)
  const full = fakeReplica('full', 4)
  t.same((await read(new ReadRouter(primary.pool, [full.node]))).rows, ['primary'], 'the primary serves at once')
  const almost = fakeReplica('almost', 3)
  t.same((await read(new ReadRouter(primary.pool, [almost.node]))).rows, ['almost'], 'a replica with a connection to spare still serves')
  const busyPrimary = fakePool('busy primary', 4, [], 0)
  t.same((await read(new ReadRouter(busyPrimary.pool, [fakeReplica('full', 4).node]))).rows, ['full'], 'no room on the primary: the replica queues it')
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
  const deadPrimary = fakePool('dead primary', 0, [{ err: refused }], 1)
  t.same((await read(new ReadRouter(deadPrimary.pool, [fakeReplica('full', 4).node]))).rows, ['full'], 'a spilled read the primary fails runs on the replica')
})

t.test('no usable replica: the primary', async (t) => {
  const primary = fakePool('primary')
  const router = new ReadRouter(primary.pool, [fakeReplica('down', 0, [], false).node])
  t.same((await read(router)).rows, ['primary'])
})

t.test('a replica failing under a read is taken out and the read runs once more elsewhere', async (t) => {
  const primary = fakePool('primary')
  const lost = Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true })
  const failing = fakeReplica('failing', 0, [{ err: lost }])
  const other = fakeReplica('other', 2)
  const router = new ReadRouter(primary.pool, [failing.node, other.node])
  t.same((await read(router)).rows, ['other'], 'the other replica answers')
  t.same(failing.failures, [lost], 'the failure is reported to the failing replica\'s health')
  t.equal(failing.health.usable, false)

  const alone = fakeReplica('alone', 0, [{ err: lost }])
  const primaryOnly = fakePool('primary')
  t.same((await read(new ReadRouter(primaryOnly.pool, [alone.node]))).rows, ['primary'], 'the primary when it was the only one')
})

t.test('once only: a read that fails on its second node answers that failure', async (t) => {
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
  const first = fakeReplica('first', 0, [{ err: refused }])
  const second = fakeReplica('second', 1, [{ err: refused }])
  const primary = fakePool('primary')
  const outcome = await read(new ReadRouter(primary.pool, [first.node, second.node]))
  t.equal(outcome.err, refused)
  t.equal(primary.ran.length, 0)
})

t.test("a statement's own error (not the node's) is answered as it is", async (t) => {
  const syntax = Object.assign(new Error('You have an error in your SQL syntax'), { code: 'ER_PARSE_ERROR', errno: 1064 })
  const replica = fakeReplica('replica', 0, [{ err: syntax }])
  const primary = fakePool('primary')
  t.equal((await read(new ReadRouter(primary.pool, [replica.node]))).err, syntax)
  t.equal(replica.health.usable, true, 'the replica stays in')
  t.equal(primary.ran.length, 0)
})

t.test("a replica's acquire timeout moves the read to the primary, without taking the replica out", async (t) => {
  const replica = fakeReplica('replica', 0, [{ err: acquireTimeoutError(1_000) }])
  const primary = fakePool('primary')
  t.same((await read(new ReadRouter(primary.pool, [replica.node]))).rows, ['primary'])
  t.equal(replica.health.usable, true)
})

t.test("borrows on a replica are made for the primary guard's current borrower, the retry's too", async (t) => {
  const lost = Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true })
  const replica = fakeReplica('replica', 0, [{ err: lost }])
  const primary = fakePool('primary')
  const router = new ReadRouter(primary.pool, [replica.node])
  const request = {}
  const pending = primary.pool.guard.borrowAs({ borrower: request, timed: undefined }, () => read(router))
  await pending
  t.same(replica.seenBorrowers, [request])
  t.same(primary.seenBorrowers, [request], 'the read moved to the primary after an await, still for the same request')
})

t.test('a requirement (read-your-writes, later) narrows the choice; none meets it: the primary', async (t) => {
  const behind = fakeReplica('behind')
  const caughtUp = fakeReplica('caught-up', 2)
  const primary = fakePool('primary')
  const router = new ReadRouter(primary.pool, [behind.node, caughtUp.node])
  const requireCaughtUp = (node: ReplicaNode) => node.name === 'caught-up'
  const withRequirement = () => new Promise<Outcome>((resolve) => router.execute('SELECT 1', [], (err, rows) => resolve({ err, rows }), requireCaughtUp))
  t.same((await withRequirement()).rows, ['caught-up'])
  caughtUp.health.usable = false
  t.same((await withRequirement()).rows, ['primary'], 'not the replica that is behind')
})
