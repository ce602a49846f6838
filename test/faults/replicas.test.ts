import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type mysql from 'mysql2/promise'
import { PrivateReplication } from './private-replication'
import { freePort, type PrivateMariaDb } from './private-mariadb'
import { buildAppOn, FAULT_DATABASE, hangUpWhileRunning, sleep } from './fault-support'
import { executePooled, readPoolOf } from '../../src/db/pooled-query'

/**
 * Issue 12 items 1 and 2 against a private GTID primary + replica (private-replication.ts):
 * reads outside a transaction on the replica, writes on the primary, each counted on its own
 * server; the replica lost, lagging or back; the primary lost. The app reads the replica as an
 * ordinary account (SELECT + SLAVE MONITOR): root's READ ONLY ADMIN would let a misrouted
 * write through on the read-only replica, and this test would not see it.
 */

const MAX_LAG_MS = 2_000

type Rows = [Array<Record<string, unknown>>]

async function statusCounter(server: PrivateMariaDb, name: string): Promise<number> {
  const connection: mysql.Connection = await server.admin()
  try {
    const [rows] = (await connection.query('SHOW GLOBAL STATUS WHERE Variable_name = ?', [name])) as unknown as Rows
    return Number(rows[0].Value)
  } finally {
    await connection.end().catch(() => connection.destroy())
  }
}

/** Com_select and Com_insert of both servers: SHOW STATUS itself counts as neither. */
async function counters(replication: PrivateReplication) {
  const [primarySelects, replicaSelects, primaryInserts, replicaInserts] = await Promise.all([
    statusCounter(replication.primary, 'Com_select'),
    statusCounter(replication.replica, 'Com_select'),
    statusCounter(replication.primary, 'Com_insert'),
    statusCounter(replication.replica, 'Com_insert')
  ])
  return { primarySelects, replicaSelects, primaryInserts, replicaInserts }
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 25): Promise<number | undefined> {
  const started = Date.now()
  while (Date.now() - started < timeoutMs) {
    if (await condition()) return Date.now() - started
    await sleep(stepMs)
  }
  return (await condition()) ? Date.now() - started : undefined
}

/** Concurrent GETs of one author until stopped; every status kept. */
function readLoad(app: FastifyInstance, url: string, workers = 4) {
  const statuses: number[] = []
  let running = true
  const worker = async () => {
    while (running) {
      statuses.push((await app.inject(url)).statusCode)
      await sleep(5)
    }
  }
  const all = Promise.all(Array.from({ length: workers }, worker))
  return {
    statuses,
    async stop() {
      running = false
      await all
      return statuses
    }
  }
}

const failed = (statuses: number[]) => statuses.filter((status) => status !== 200)

function metricValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

t.test('read replicas', async (t) => {
  const replication = await PrivateReplication.start(t)
  const replicaUrl = await replication.replicaReaderUrl(FAULT_DATABASE)
  const logLines: Array<{ msg: string; node?: string; reason?: string }> = []
  const app = await buildAppOn(
    t,
    replication.primary.url,
    { DATABASE_REPLICA_URLS: replicaUrl, DB_REPLICA_MAX_LAG_MS: MAX_LAG_MS, DB_POOL_SIZE: 4, DB_POOL_ACQUIRE_TIMEOUT_MS: 1_000, DB_STATEMENT_TIMEOUT_MS: 3_000, LOG_LEVEL: 'info' },
    { logStream: { write: (line) => logLines.push(JSON.parse(line)) } }
  )
  // A hand-written read outside a transaction, as the REST fast path makes them (src/db/pooled-query.ts).
  const reads = readPoolOf(app.db)
  app.get('/test/slow-replica-read', async () => {
    await executePooled(reads, "SELECT SLEEP(2.5) AS slept, 'replica-abort' AS marker", [])
    return { ok: true }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const replicaNode = app.dbNodes[1]
  t.equal(app.dbNodes.length, 2, 'a primary and one replica node')
  t.equal(replicaNode.name, `127.0.0.1:${replication.replica.port}`)
  t.ok((await until(() => replicaNode.health!.usable, 5_000)) !== undefined, 'the replica is probed healthy after start-up')
  const transitions = () => logLines.filter((line) => /^replica (up|down)/.test(line.msg)).map((line) => line.msg.split(':')[0])

  const created = await app.inject({ method: 'POST', url: '/authors', payload: { name: 'Replicated' } })
  t.equal(created.statusCode, 201)
  const authorUrl = `/authors/${created.json().id}`
  t.equal(await replication.waitForReplica(await replication.primaryPosition(), 5_000), true)

  await t.test('reads land on the replica, writes on the primary', async (t) => {
    const before = await counters(replication)
    for (let i = 0; i < 5; i++) {
      t.equal((await app.inject({ method: 'POST', url: '/authors', payload: { name: `writer ${i}` } })).statusCode, 201)
    }
    // Each write's Lifeguard-Position is a SELECT on the primary (read-your-writes): counted from here on.
    const primarySelectsBeforeReads = await statusCounter(replication.primary, 'Com_select')
    // Three at a time, under the pool size: a replica with every connection lent would spill reads to the primary.
    const reads = []
    for (let i = 0; i < 30; i += 3) reads.push(...(await Promise.all([0, 1, 2].map((j) => app.inject((i + j) % 3 ? authorUrl : '/authors?limit=5')))))
    t.same(failed(reads.map((r) => r.statusCode)), [], 'every read answered 200')
    const after = await counters(replication)
    t.ok(after.primaryInserts - before.primaryInserts >= 5, `the primary ran the inserts (${after.primaryInserts - before.primaryInserts})`)
    // The replica's Com_insert grows too: its SQL thread counts the replicated row events. That the
    // writes did not run there shows in their 201s: its account may only SELECT, on a read-only server.
    t.equal(after.replicaInserts - before.replicaInserts, after.primaryInserts - before.primaryInserts, 'the replica applied exactly the primary\'s inserts')
    t.ok(after.replicaSelects - before.replicaSelects >= 30, `the replica ran the reads (${after.replicaSelects - before.replicaSelects} selects)`)
    t.ok(after.primarySelects - primarySelectsBeforeReads < 5, `the primary ran (almost) none (${after.primarySelects - primarySelectsBeforeReads} selects)`)
    // TypeORM's own reads outside a transaction ('SLAVE*') go to the replica; a transaction's to the primary.
    const typeormBefore = await counters(replication)
    for (let i = 0; i < 5; i++) await app.db.getRepository('Author').find({ take: 1 })
    await app.db.transaction(async (manager) => {
      for (let i = 0; i < 5; i++) await manager.getRepository('Author').find({ take: 1 })
    })
    const typeormAfter = await counters(replication)
    t.equal(typeormAfter.replicaSelects - typeormBefore.replicaSelects, 5, 'repository reads outside a transaction ran on the replica')
    t.equal(typeormAfter.primarySelects - typeormBefore.primarySelects, 5, 'the transaction\'s ran on the primary')
    const metrics = (await app.inject('/metrics')).body
    t.equal(metricValue(metrics, `lifeguard_db_node_up{node="${replicaNode.name}"}`), 1)
    t.equal(metricValue(metrics, 'lifeguard_db_node_up{node="primary"}'), 1)
    t.equal(metricValue(metrics, `lifeguard_db_replica_lag_seconds{node="${replicaNode.name}"}`), 0)
    t.equal(metricValue(metrics, `db_pool_connections_max{node="${replicaNode.name}"}`), 4, 'each node has its own pool, with the same settings')
    t.equal(metricValue(metrics, 'db_pool_connections_max{node="primary"}'), 4)
  })

  await t.test("a client hanging up during a read on the replica gets its statement killed there", async (t) => {
    const running = () =>
      replication.onReplica(async (c) => {
        const [rows] = (await c.query(
          "SELECT id FROM information_schema.processlist WHERE db = ? AND info LIKE '%replica-abort%' AND info NOT LIKE '%processlist%'",
          [FAULT_DATABASE]
        )) as unknown as Rows
        return rows.length
      })
    const { port } = app.server.address() as AddressInfo
    const req = http.request({ host: '127.0.0.1', port, path: '/test/slow-replica-read', method: 'GET' })
    req.on('error', () => {}) // the hang-up we cause
    req.end()
    await hangUpWhileRunning(t, req, running)
    t.equal(replicaNode.health!.usable, true, 'a killed statement does not take the replica out')
    t.equal(metricValue((await app.inject('/metrics')).body, `db_pool_borrows_cancelled_total{node="${replicaNode.name}"}`), 0)
  })

  await t.test('replica stopped under read load: no read fails; back: reads return to it, no restart', async (t) => {
    const load = readLoad(app, authorUrl)
    await sleep(300)
    await replication.replica.stop()
    const stoppedAt = Date.now()
    t.ok((await until(() => !replicaNode.health!.usable, 2_000)) !== undefined, 'the replica is out')
    const replicaErrors = () => [...replicaNode.guard.totals.errorsByCode.values()].reduce((sum, count) => sum + count, 0)
    const [errorsOut, primarySelectsOut] = [replicaErrors(), await statusCounter(replication.primary, 'Com_select')]
    await sleep(500)
    t.equal(replicaErrors(), errorsOut, 'once out, no read tries the replica (no more failed borrows on it)')
    t.ok((await statusCounter(replication.primary, 'Com_select')) - primarySelectsOut >= 20, 'the primary serves the reads')
    const whileDown = load.statuses.length
    const ready = await app.inject('/health/ready')
    t.equal(ready.statusCode, 200, '/health/ready stays green while the primary is up')
    t.match(ready.json().replicas, [{ node: replicaNode.name, up: false, lagSeconds: null, reason: /read failed|probe failed/ }], 'and names the replica down')
    const metrics = (await app.inject('/metrics')).body
    t.equal(metricValue(metrics, `lifeguard_db_node_up{node="${replicaNode.name}"}`), 0, 'node_up 0 for the replica')
    t.equal(metricValue(metrics, `lifeguard_db_replica_lag_seconds{node="${replicaNode.name}"}`), undefined, 'no lag while unknown')

    await replication.replica.launch()
    const launchedAt = Date.now()
    const backAfter = await until(() => replicaNode.health!.usable, 12_000)
    t.ok(backAfter !== undefined, `the replica returned by itself ${backAfter} ms after it answered again`)
    const selectsBack = await statusCounter(replication.replica, 'Com_select')
    await sleep(300)
    t.ok((await statusCounter(replication.replica, 'Com_select')) - selectsBack >= 10, 'reads go to the replica again')
    const statuses = await load.stop()
    t.ok(whileDown > 20, `reads went on while the replica was down (${statuses.length} in all, over ${Date.now() - stoppedAt} ms)`)
    t.same(failed(statuses), [], '0 failed reads')
    t.comment(`replica down to back ${launchedAt - stoppedAt} ms + ${backAfter} ms`)
  })

  await t.test('replication SQL thread stopped: reads leave the replica within the lag bound', async (t) => {
    const load = readLoad(app, authorUrl, 2)
    await sleep(200)
    await replication.stopReplicaSql()
    const leftAfter = await until(() => !replicaNode.health!.usable, MAX_LAG_MS + 1_000)
    t.ok(leftAfter !== undefined && leftAfter <= MAX_LAG_MS, `out ${leftAfter} ms after the SQL thread stopped (bound ${MAX_LAG_MS} ms)`)
    t.match(replicaNode.health!.reason, /SQL thread/)
    const selects = await statusCounter(replication.replica, 'Com_select')
    await sleep(300)
    t.equal((await statusCounter(replication.replica, 'Com_select')) - selects, 0, 'no read reaches it any more')
    await replication.startReplicaSql()
    t.ok((await until(() => replicaNode.health!.usable, 12_000)) !== undefined, 'back once it applies again')
    t.same(failed(await load.stop()), [], '0 failed reads')
  })

  await t.test('replica held behind (lag grows while the SQL thread runs): out once lag passes the bound', async (t) => {
    const release = await replication.holdReplicaApply()
    t.teardown(release)
    t.equal((await app.inject({ method: 'POST', url: '/authors', payload: { name: 'held back' } })).statusCode, 201)
    const started = Date.now()
    const leftAfter = await until(() => !replicaNode.health!.usable, MAX_LAG_MS + 4_000)
    t.ok(leftAfter !== undefined, `out after ${leftAfter} ms of lag`)
    t.ok(Date.now() - started >= MAX_LAG_MS, 'not before the lag passed the bound')
    t.match(replicaNode.health!.reason, /lag \d+ s above/)
    t.equal((await app.inject(authorUrl)).statusCode, 200, 'reads go on, on the primary')
    await release()
    t.ok((await until(() => replicaNode.health!.usable, 12_000)) !== undefined, 'back once caught up')
  })

  await t.test('replica frozen (SIGSTOP) under read load: out within its probe timeout, reads go on; thawed: back', async (t) => {
    const load = readLoad(app, authorUrl, 2)
    await sleep(200)
    await replication.replica.pause()
    t.teardown(() => replication.replica.resume())
    const leftAfter = await until(() => !replicaNode.health!.usable, 3_000)
    t.ok(leftAfter !== undefined, `out ${leftAfter} ms after it froze`)
    // Reads sent before it froze wait for the statement deadline (3.5 s here) or the thaw, whichever comes first.
    await sleep(2_000)
    replication.replica.resume()
    t.ok((await until(() => replicaNode.health!.usable, 12_000)) !== undefined, 'back once it answers again')
    const statuses = await load.stop()
    t.same(failed(statuses), [], `0 failed reads (${statuses.length})`)
  })

  await t.test('a replica that cannot be probed (no SLAVE MONITOR) or reached gets no reads, and the app starts anyway', async (t) => {
    await replication.onPrimary(async (c) => {
      await c.query("CREATE USER 'lg_blind'@'127.0.0.1' IDENTIFIED BY 'blind-secret'")
      await c.query(`GRANT SELECT ON ${FAULT_DATABASE}.* TO 'lg_blind'@'127.0.0.1'`)
    })
    t.equal(await replication.waitForReplica(await replication.primaryPosition(), 5_000), true)
    const lines: Array<{ msg: string; reason?: string }> = []
    const unreachablePort = await freePort() // nothing listens there
    const other = await buildAppOn(
      t,
      replication.primary.url,
      {
        DATABASE_REPLICA_URLS: `mariadb://lg_blind:blind-secret@127.0.0.1:${replication.replica.port},mariadb://lg_blind:blind-secret@127.0.0.1:${unreachablePort}`,
        DB_POOL_SIZE: 2,
        LOG_LEVEL: 'info'
      },
      { logStream: { write: (line) => lines.push(JSON.parse(line)) } }
    )
    t.equal((await other.inject(authorUrl)).statusCode, 200, 'reads are served, by the primary')
    await sleep(1_500)
    const [, blind, unreachable] = other.dbNodes
    t.equal(blind.health!.usable, false)
    t.match(blind.health!.reason, /probe failed: ER_SPECIFIC_ACCESS_DENIED_ERROR/, 'the missing privilege is the reason')
    t.equal(unreachable.health!.usable, false)
    t.match(unreachable.health!.reason, /probe failed: ECONNREFUSED/)
    const downs = lines.filter((line) => line.msg.startsWith('replica down'))
    t.equal(downs.length, 2, `one line each, however many probes failed (${downs.map((line) => line.reason).join('; ')})`)
    await other.close()
  })

  await t.test('primary down: reads go on from the replica, writes answer 503', async (t) => {
    await replication.primary.stop()
    const reads = await Promise.all(Array.from({ length: 10 }, () => app.inject(authorUrl)))
    t.same(failed(reads.map((r) => r.statusCode)), [], 'reads answer 200')
    const write = await app.inject({ method: 'POST', url: '/authors', payload: { name: 'no primary' } })
    t.equal(write.statusCode, 503, 'a write answers 503')
    await sleep(1_500) // a probe or more with the primary gone: the replica stays in
    t.equal(replicaNode.health!.usable, true, `the replica still serves (${replicaNode.health!.reason})`)
    t.same(failed((await Promise.all(Array.from({ length: 10 }, () => app.inject(authorUrl)))).map((r) => r.statusCode)), [])
    t.equal((await app.inject('/health/ready')).statusCode, 503, 'readiness follows the primary')
    await replication.primary.launch()
  })

  t.test('one log line per transition', async (t) => {
    const seen = transitions()
    t.same(seen.slice(0, 1), ['replica up'], 'up after start-up')
    for (let i = 1; i < seen.length; i++) t.not(seen[i], seen[i - 1], `transition ${i} changes state (${seen.join(', ')})`)
    t.ok(seen.length >= 9, `up, then down and up four times (${seen.length})`)
    t.equal(logLines.filter((line) => line.msg.startsWith('replica')).length, seen.length, 'no other replica lines')
  })
})
