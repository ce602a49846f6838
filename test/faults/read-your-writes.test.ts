import t from 'tap'
import type mysql from 'mysql2/promise'
import { PrivateReplication } from './private-replication'
import type { PrivateMariaDb } from './private-mariadb'
import { buildAppOn, FAULT_DATABASE, sleep } from './fault-support'
import { waitForIdlePool } from '../support/pool-state'
import { covers, parseGtidPosition } from '../../src/pool/gtid-position'
import { EventSubscriber, type EntitySubscriberInterface } from 'typeorm'
import { Author } from '../../entities'

const loaded: unknown[] = []

/** Gives Author entity events, so its REST reads run on TypeORM's 'slave' query runner instead of the fast path. */
@EventSubscriber()
class AuthorLoads implements EntitySubscriberInterface<Author> {
  listenTo() {
    return Author
  }
  afterLoad(entity: Author) {
    loaded.push(entity.id)
  }
}

/**
 * Issue 12 item 3 against a private GTID primary + replica (private-replication.ts): writes
 * answer with Lifeguard-Position; a read carrying it never sees data older than the write —
 * served by the replica once it has applied the position, else by the primary — and one
 * without it may be stale. Which server served a read is counted on the servers (Com_select)
 * and in lifeguard_db_position_reads_total. The app reads the replica as an ordinary account
 * (SELECT + SLAVE MONITOR), as replicas.test.ts explains.
 */

const COOKIE = 'lg_position'

type Rows = [Array<Record<string, unknown>>]

async function selects(server: PrivateMariaDb): Promise<number> {
  const connection: mysql.Connection = await server.admin()
  try {
    const [rows] = (await connection.query("SHOW GLOBAL STATUS WHERE Variable_name = 'Com_select'")) as unknown as Rows
    return Number(rows[0].Value)
  } finally {
    await connection.end().catch(() => connection.destroy())
  }
}

function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await condition()) return true
    await sleep(25)
  }
  return condition()
}

/** The seq of domain 0 in a GTID list. */
const seqOf = (position: string) => position.split(',').find((gtid) => gtid.startsWith('0-'))?.split('-')[2]

t.test('read-your-writes', async (t) => {
  const replication = await PrivateReplication.start(t)
  const replicaUrl = await replication.replicaReaderUrl(FAULT_DATABASE)
  // A lag bound far above what the test makes: the held-back replica stays in service, stale.
  const app = await buildAppOn(t, replication.primary.url, {
    DATABASE_REPLICA_URLS: replicaUrl,
    DB_REPLICA_MAX_LAG_MS: 60_000,
    DB_REPLICA_WAIT_MS: 100,
    DB_POSITION_COOKIE: COOKIE,
    DB_POOL_SIZE: 4
  })
  // A hand-written route whose read comes after its handler's first await: no request is
  // attributed to that borrow, so the router cannot tell whether it carries a position.
  app.get<{ Params: { id: string } }>('/test/late-read/:id', async (request) => {
    await sleep(5)
    const author = await app.db.getRepository('Author').findOneBy({ id: Number(request.params.id) })
    return { name: (author as { name?: string } | null)?.name }
  })
  const replicaNode = app.dbNodes[1]
  t.ok(await until(() => replicaNode.health!.usable, 5_000), 'the replica is probed healthy')
  const positionReads = async (node: string, outcome: string) =>
    metricValue((await app.inject('/metrics')).body, `lifeguard_db_position_reads_total{node="${node}",outcome="${outcome}"}`)

  const created = await app.inject({ method: 'POST', url: '/authors', payload: { name: 'first' } })
  t.equal(created.statusCode, 201)
  const authorUrl = `/authors/${created.json().id}`
  const nameOn = async (headers: Record<string, string>) => {
    const answer = await app.inject({ url: authorUrl, headers })
    if (answer.statusCode !== 200) throw new Error(`GET ${authorUrl}: ${answer.statusCode} ${answer.body}`)
    return answer.json().name as string
  }

  await t.test("every write answers with the primary's position after its commit", async (t) => {
    // An autocommit INSERT on the pool (MariaDB's RETURNING), a transactional PATCH, an autocommit DELETE.
    const post = await app.inject({ method: 'POST', url: '/authors', payload: { name: 'to delete' } })
    t.equal(String(post.headers['lifeguard-position']), await replication.primaryPosition(), 'POST: the position is the primary\'s binlog position')
    t.match(String(post.headers['set-cookie']), new RegExp(`^${COOKIE}=0-1-\\d+; Path=/; Max-Age=300; HttpOnly; SameSite=Lax$`))
    const patch = await app.inject({ method: 'PATCH', url: authorUrl, payload: { name: 'patched' } })
    t.equal(patch.statusCode, 200)
    const afterPatch = await replication.primaryPosition()
    t.equal(String(patch.headers['lifeguard-position']), afterPatch, 'PATCH (a request transaction): read on its connection after COMMIT')
    const removed = await app.inject({ method: 'DELETE', url: `/authors/${post.json().id}` })
    t.equal(removed.statusCode, 204)
    t.equal(String(removed.headers['lifeguard-position']), await replication.primaryPosition(), 'DELETE too')
    t.ok(Number(seqOf(afterPatch)) > Number(seqOf(String(post.headers['lifeguard-position']))), 'positions grow with the writes')
    const failed = await app.inject({ method: 'PATCH', url: '/authors/999999', payload: { name: 'nobody' } })
    t.equal(failed.statusCode, 404)
    t.equal(failed.headers['lifeguard-position'], undefined, 'a failed write has none')
    t.equal((await app.inject(authorUrl)).headers['lifeguard-position'], undefined, 'a read has none')
  })

  await t.test('replica caught up: a read carrying a position is served by the replica', async (t) => {
    const patch = await app.inject({ method: 'PATCH', url: authorUrl, payload: { name: 'caught up' } })
    const position = String(patch.headers['lifeguard-position'])
    t.equal(await replication.waitForReplica(position, 5_000), true)
    const [replicaBefore, primaryBefore] = [await selects(replication.replica), await selects(replication.primary)]
    const waitedBefore = await positionReads(replicaNode.name, 'replica_after_wait')
    const knownBefore = await positionReads(replicaNode.name, 'replica')
    t.equal(await nameOn({ 'lifeguard-position': position }), 'caught up')
    t.equal(await nameOn({ 'lifeguard-position': position }), 'caught up')
    t.equal((await selects(replication.primary)) - primaryBefore, 0, 'the primary ran no read')
    t.ok((await selects(replication.replica)) - replicaBefore >= 2, 'the replica did')
    // The first either waited (0 at once) or found the probe had seen the position; the second needs no wait.
    const waited = (await positionReads(replicaNode.name, 'replica_after_wait')) - waitedBefore
    const known = (await positionReads(replicaNode.name, 'replica')) - knownBefore
    t.equal(waited + known, 2, `both counted on the replica (${waited} after a wait, ${known} known)`)
    t.ok(known >= 1, 'a position known applied is not waited for again')
  })

  await t.test("the replica's probe learns its applied position (@@gtid_slave_pos): later reads need no wait", async (t) => {
    const post = await app.inject({ method: 'POST', url: '/authors', payload: { name: 'nobody reads me' } })
    const position = parseGtidPosition(String(post.headers['lifeguard-position']))!
    t.notOk(covers(replicaNode.health!.appliedPosition, position), 'not known applied at first')
    t.ok(await until(() => covers(replicaNode.health!.appliedPosition, position), 2_500), 'known within a probe interval or two, no read asked')
  })

  await t.test('replica held behind: with the position, the fresh value from the primary; without, the replica\'s stale one', async (t) => {
    const release = await replication.holdReplicaApply()
    t.teardown(release)
    const patch = await app.inject({ method: 'PATCH', url: authorUrl, payload: { name: 'fresh' } })
    t.equal(patch.statusCode, 200)
    const position = String(patch.headers['lifeguard-position'])
    const cookie = String(patch.headers['set-cookie']).split(';')[0]
    t.equal(await replication.waitForReplica(position, 300), false, 'the replica has not applied the write')
    t.equal(replicaNode.health!.usable, true, 'and still serves (its lag is within the bound)')

    const [replicaBefore, primaryBefore] = [await selects(replication.replica), await selects(replication.primary)]
    const fallbackBefore = await positionReads('primary', 'primary')
    const started = Date.now()
    t.equal(await nameOn({ 'lifeguard-position': position }), 'fresh', 'the header: the fresh value')
    const tookMs = Date.now() - started
    t.equal(await nameOn({ cookie: `other=1; ${cookie}` }), 'fresh', 'the cookie: the same')
    t.ok((await selects(replication.primary)) - primaryBefore >= 2, 'the primary served both')
    t.equal((await positionReads('primary', 'primary')) - fallbackBefore, 2, 'counted as primary fallbacks')
    t.ok(tookMs >= 90, `after the bounded wait on the replica (${tookMs} ms)`)

    const lateRead = (headers: Record<string, string>) => app.inject({ url: `/test/late-read/${created.json().id}`, headers }).then((r) => r.json().name)
    t.equal(await lateRead({ 'lifeguard-position': position }), 'fresh', 'a read nobody is attributed, while a position is in flight: the primary')
    t.equal(await lateRead({}), 'caught up', 'the same read with no position in flight: the replica, stale')

    const staleBefore = await selects(replication.replica)
    t.equal(await nameOn({}), 'caught up', 'without the position: the stale value')
    t.ok((await selects(replication.replica)) - staleBefore >= 1, 'served by the replica')
    t.ok((await selects(replication.replica)) - replicaBefore >= 3, 'which was asked to wait for the first two')

    await release()
    t.equal(await replication.waitForReplica(position, 5_000), true, 'released: the replica catches up')
    const afterBefore = await selects(replication.primary)
    t.equal(await nameOn({ 'lifeguard-position': position }), 'fresh', 'and serves the position')
    t.equal((await selects(replication.primary)) - afterBefore, 0, 'without the primary')
  })

  await t.test("entity events (TypeORM's 'slave' query runner): the same rule", async (t) => {
    const evented = await buildAppOn(t, replication.primary.url, { DATABASE_REPLICA_URLS: replicaUrl, DB_REPLICA_MAX_LAG_MS: 60_000, DB_POOL_SIZE: 2 }, { subscribers: [AuthorLoads] })
    t.ok(await until(() => evented.dbNodes[1].health!.usable, 5_000))
    const release = await replication.holdReplicaApply()
    t.teardown(release)
    const patch = await evented.inject({ method: 'PATCH', url: authorUrl, payload: { name: 'evented' } })
    t.equal(patch.statusCode, 200)
    const readWith = async (headers: Record<string, string>) => (await evented.inject({ url: authorUrl, headers })).json().name
    loaded.length = 0
    const primaryBefore = await selects(replication.primary)
    t.equal(await readWith({ 'lifeguard-position': String(patch.headers['lifeguard-position']) }), 'evented', 'with the position: fresh')
    t.ok((await selects(replication.primary)) - primaryBefore >= 1, 'from the primary')
    t.equal(await readWith({}), 'fresh', "without: the replica's stale value")
    t.equal(loaded.length, 2, 'both reads ran on a query runner (AfterLoad)')
    await release()
    await evented.close()
  })

  await t.test('replication SQL thread stopped (lag grows): a client carrying its position never reads stale data', async (t) => {
    await replication.stopReplicaSql()
    t.teardown(() => replication.startReplicaSql())
    // Until a probe sees the stopped thread (up to a second), the replica still gets reads.
    const stillUsable = replicaNode.health!.usable
    const seen: string[] = []
    const started = Date.now()
    for (let i = 0; Date.now() - started < 1_500; i++) {
      const patch = await app.inject({ method: 'PATCH', url: authorUrl, payload: { name: `stopped ${i}` } })
      seen.push(`${await nameOn({ 'lifeguard-position': String(patch.headers['lifeguard-position']) })} / stopped ${i}`)
    }
    t.same(seen.filter((line) => line.split(' / ')[0] !== line.split(' / ')[1]), [], `${seen.length} writes, each read back fresh`)
    t.equal(replicaNode.health!.usable, false, `the replica is out by now (it was ${stillUsable ? 'in' : 'out'} when the thread stopped)`)
    t.equal(await nameOn({}), `stopped ${seen.length - 1}`, 'once it is out, a read without the position is fresh too: the primary serves it')
  })

  await t.test('a malformed position is refused; a malformed cookie ignored', async (t) => {
    for (const bad of ['0-1', 'x', '0-1-2;1', '0-1-2,'.repeat(100)]) {
      const answer = await app.inject({ url: authorUrl, headers: { 'lifeguard-position': bad } })
      t.equal(answer.statusCode, 400, JSON.stringify(bad.slice(0, 20)))
      t.match(answer.json(), { status: 400, detail: /lifeguard-position must be a GTID list/ })
    }
    t.equal((await app.inject({ url: authorUrl, headers: { cookie: `${COOKIE}=garbage` } })).statusCode, 200)
  })

  await t.test('every node idle afterwards', async (t) => {
    const state = await waitForIdlePool(app, 5_000)
    t.equal(state.active, 0)
    t.equal(state.pending, 0)
    t.ok(state.total >= 2, `the sum over both nodes (${state.total} open)`)
  })

  await t.test('no replicas configured: no position header on writes', async (t) => {
    const plain = await buildAppOn(t, replication.primary.url, { DB_POSITION_COOKIE: COOKIE })
    const post = await plain.inject({ method: 'POST', url: '/authors', payload: { name: 'plain' } })
    t.equal(post.statusCode, 201)
    t.equal(post.headers['lifeguard-position'], undefined)
    t.equal(post.headers['set-cookie'], undefined)
    t.equal((await plain.inject({ url: `/authors/${post.json().id}`, headers: { 'lifeguard-position': 'x' } })).statusCode, 200, 'nor is a sent one looked at')
    t.notMatch((await plain.inject('/metrics')).body, /lifeguard_db_position_reads_total/)
  })
})
