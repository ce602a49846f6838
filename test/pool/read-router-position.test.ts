import t from 'tap'
import { fakeGuard } from './fake-guard'
import { ReadRouter, type ReplicaNode } from '../../src/pool/read-router'
import type { GuardedPool } from '../../src/pool/guarded-pool'
import type { ReplicaHealth } from '../../src/pool/replica-health'
import { merged, parseGtidPosition, type GtidPosition } from '../../src/pool/gtid-position'

// Read-your-writes in src/pool/read-router.ts on stand-in pools (the servers' side is
// test/faults/read-your-writes.test.ts): when a read with a position waits, where it runs after.

type WaitAnswer = { waited?: number | null; err?: unknown }

/** A stand-in node: execute() and getConnection(), whose connection answers MASTER_GTID_WAIT with `waits` in turn. */
function fakeNode(name: string, waits: WaitAnswer[] = []) {
  const log: string[] = []
  let released = 0
  const guard = fakeGuard(() => ({ total: 0, idle: 0, active: 0, pending: 0, max: 4 }))
  const connection = {
    node: name,
    query(sql: string, values: unknown[], callback: (err: unknown, rows?: unknown) => void) {
      log.push(`wait ${String(values[0])} ${String(values[1])}`)
      const answer = waits.shift() ?? { waited: 0 }
      process.nextTick(callback, answer.err ?? null, answer.err ? undefined : [{ waited: answer.waited }])
    },
    execute(sql: string, _values: unknown, callback: (err: unknown, rows?: unknown) => void) {
      log.push(`connection ${sql}`)
      process.nextTick(callback, null, [name])
    },
    release: () => void released++
  }
  const pool = {
    guard,
    execute(sql: string, _values: unknown, callback: (err: unknown, rows?: unknown) => void) {
      log.push(`pool ${sql}`)
      process.nextTick(callback, null, [name])
    },
    getConnection(callback: (err: unknown, connection?: unknown) => void) {
      log.push('borrow')
      process.nextTick(callback, null, connection)
    }
  }
  return { pool: pool as unknown as GuardedPool, log, connection, released: () => released, name }
}

function fakeReplica(name: string, waits: WaitAnswer[] = [], applied = '') {
  const fake = fakeNode(name, waits)
  const failures: unknown[] = []
  const health = {
    usable: true,
    appliedPosition: parseGtidPosition(applied)! as GtidPosition,
    noteApplied(position: GtidPosition) {
      health.appliedPosition = merged(health.appliedPosition, position)
    },
    reportFailure(err: unknown) {
      failures.push(err)
      health.usable = false
    }
  }
  const node: ReplicaNode = { name, pool: fake.pool, health: health as unknown as ReplicaHealth }
  return { ...fake, node, health, failures }
}

const at = (text: string) => ({ text, position: parseGtidPosition(text)! })

/** One read for `borrower`, made as the HTTP layer makes it: under the primary guard's attribution. */
function read(router: ReadRouter, primary: ReturnType<typeof fakeNode>, borrower: object) {
  return new Promise<unknown>((resolve, reject) =>
    (primary.pool.guard as unknown as { borrowAs: Function }).borrowAs({ borrower }, () =>
      router.execute('SELECT 1', [], (err, rows) => (err ? reject(err) : resolve(rows)))
    )
  )
}

const counts = (router: ReadRouter) => Object.fromEntries([...router.positionReads].map(([node, byOutcome]) => [node, Object.fromEntries(byOutcome)]))

t.test('a replica known to have the position serves without a wait', async (t) => {
  const primary = fakeNode('primary')
  const replica = fakeReplica('r', [], '0-1-9')
  const router = new ReadRouter(primary.pool, [replica.node], 100)
  const request = {}
  router.requirePosition(request, at('0-2-7'))
  t.same(await read(router, primary, request), ['r'])
  t.same(replica.log, ['pool SELECT 1'], 'no wait, an ordinary read')
  t.same(counts(router), { r: { replica: 1 } })
})

t.test('else it waits on the connection the read then runs on; the position is remembered', async (t) => {
  const primary = fakeNode('primary')
  const replica = fakeReplica('r', [{ waited: 0 }], '0-1-5')
  const router = new ReadRouter(primary.pool, [replica.node], 150)
  const request = {}
  router.requirePosition(request, at('0-1-7'))
  t.same(await read(router, primary, request), ['r'])
  t.same(replica.log, ['borrow', 'wait 0-1-7 0.15', 'connection SELECT 1'], 'the wait is bounded (seconds), the read on the same connection')
  t.equal(replica.released(), 1, 'released once')
  t.same(await read(router, primary, request), ['r'])
  t.same(replica.log.slice(3), ['pool SELECT 1'], 'the second read needs no wait')
  t.same(counts(router), { r: { replica_after_wait: 1, replica: 1 } })
  t.equal(primary.log.length, 0)
})

t.test('a wait that times out, answers NULL or fails sends the read to the primary', async (t) => {
  const primary = fakeNode('primary')
  const dropped = Object.assign(new Error('gone'), { code: 'ECONNRESET', fatal: true })
  const replica = fakeReplica('r', [{ waited: -1 }, { waited: null }, { err: dropped }])
  const router = new ReadRouter(primary.pool, [replica.node], 100)
  const request = {}
  router.requirePosition(request, at('0-1-7'))
  for (let i = 0; i < 3; i++) t.same(await read(router, primary, request), ['primary'])
  t.equal(replica.released(), 3, 'each waited-on connection went back')
  t.equal(replica.log.filter((line) => line.startsWith('connection')).length, 0, 'no read ran on the replica')
  t.same(replica.failures, [dropped], 'the dropped connection took the replica out')
  t.same(counts(router), { primary: { primary: 3 } })
  t.same(await read(router, primary, request), ['primary'], 'with no replica usable: the primary, without a wait')
  t.equal(replica.log.filter((line) => line === 'borrow').length, 3)
})

t.test('a read without a position never waits; one attributed to nobody reads on the primary while a position is in flight', async (t) => {
  const primary = fakeNode('primary')
  const replica = fakeReplica('r')
  const router = new ReadRouter(primary.pool, [replica.node], 100)
  const withPosition = {}
  router.requirePosition(withPosition, at('0-1-7'))
  t.same(await read(router, primary, {}), ['r'], 'another borrower')
  t.same(await read(router, primary, undefined as unknown as object), ['primary'], 'no borrower: it may be the one with the position')
  router.releasePosition(withPosition)
  t.same(await read(router, primary, undefined as unknown as object), ['r'], 'no borrower, no position in flight: a replica')
  t.same(replica.log, ['pool SELECT 1', 'pool SELECT 1'], 'no wait on the replica')
  t.same(counts(router), {})
})

t.test("a read session (TypeORM's 'SLAVE*') gets the connection that waited", async (t) => {
  const primary = fakeNode('primary')
  const replica = fakeReplica('r', [{ waited: 0 }, { waited: -1 }])
  const router = new ReadRouter(primary.pool, [replica.node], 100)
  const request = {}
  router.requirePosition(request, at('0-1-7'))
  const borrow = () =>
    new Promise<unknown>((resolve, reject) =>
      (primary.pool.guard as unknown as { borrowAs: Function }).borrowAs({ borrower: request }, () =>
        router.getConnection((err, connection) => (err ? reject(err) : resolve(connection)))
      )
    )
  t.equal(await borrow(), replica.connection, 'caught up: the waited-on connection')
  t.equal(replica.released(), 0, 'not released: the session has it')
  router.requirePosition(request, at('0-1-8'))
  t.equal(await borrow(), primary.connection, 'timed out: a primary connection')
  t.equal(replica.released(), 1)
})

t.test('at most half a replica pool waits for positions at once; the rest read on the primary', async (t) => {
  const primary = fakeNode('primary')
  const replica = fakeReplica('r', [{ waited: 0 }, { waited: 0 }, { waited: 0 }])
  const router = new ReadRouter(primary.pool, [replica.node], 100)
  const readers = [{}, {}, {}]
  for (const reader of readers) router.requirePosition(reader, at('0-1-9'))
  const answers = await Promise.all(readers.map((reader) => read(router, primary, reader)))
  t.same(answers.map(String).sort(), ['primary', 'r', 'r'], 'a pool of 4: two wait, the third goes to the primary')
  t.equal(replica.log.filter((line) => line.startsWith('wait')).length, 2)
})
