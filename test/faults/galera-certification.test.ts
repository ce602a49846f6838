import 'reflect-metadata'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { loadConfig } from '../../src/config'
import { buildApp } from '../../src/app'
import { ensureDatabase, runPendingMigrations } from '../../src/db/prepare-database'
import { findGaleraProvider, PrivateGalera } from './private-galera'
import { findProgram } from './private-mariadb'

// Issue 12 item 5: on Galera a transaction that loses to a conflicting write committed on
// another node is rolled back by this node ("brute-force abort" of a local transaction that
// holds a lock the replicated writeset needs, or a failed certification at commit) and its
// client sees 1213, the deadlock error. A transactional route must re-run like after a local
// deadlock (src/db/transaction-scope.ts). The app talks to node B; the conflicting write is
// committed on node A while the route's transaction is open, holding the row's lock on B.

const provider = findGaleraProvider()
const rsync = (() => {
  try {
    return findProgram('rsync', 'RSYNC')
  } catch {
    return undefined
  }
})()
const skip = !provider
  ? 'no Galera provider: install galera-4 (Debian; .ci/run installs it) or set GALERA_PROVIDER'
  : !rsync
    ? "rsync is not installed: the joiner's state transfer needs it (.ci/run installs it)"
    : false

const DATABASE = 'lg_galera'

t.test('Galera: a write on another node aborts the route transaction with 1213; a node without quorum', { skip }, async (t) => {
  const galera = await PrivateGalera.start(t, 2)
  const config = loadConfig({ DATABASE_URL: `${galera.nodes[1].url}/${DATABASE}`, LOG_LEVEL: 'silent' })
  await ensureDatabase(config)
  await runPendingMigrations(config)
  const app = await buildApp(config)
  t.teardown(() => app.close())

  /** Sets the author's name on node A, autocommit, and waits until node B has applied it. */
  const commitOnNodeA = async (name: string) => {
    const [result] = await galera.on(0, async (a) => {
      // wsrep_sync_wait=15: A first applies everything committed before on B — the reset's REPLACE
      // included, or this UPDATE can find no row to change, conflict with nothing, and leave the
      // route's transaction on B alone (seen once in a full run: 'start+app', the handler run once).
      await a.query('SET SESSION wsrep_sync_wait = 15')
      return a.query(`UPDATE ${DATABASE}.authors SET name = ? WHERE id = 1`, [name])
    })
    if ((result as { affectedRows?: number }).affectedRows !== 1) throw new Error(`node A's UPDATE changed ${(result as { affectedRows?: number }).affectedRows} rows, not 1`)
    // wsrep_sync_wait=1: this read on B waits until B has applied everything A committed before it.
    await galera.on(1, async (b) => {
      await b.query('SET SESSION wsrep_sync_wait = 1')
      await b.query(`SELECT name FROM ${DATABASE}.authors WHERE id = 1`)
    })
  }
  const nameOnNodeB = () =>
    galera.on(1, async (b) => {
      await b.query('SET SESSION wsrep_sync_wait = 1')
      const [rows] = await b.query(`SELECT name FROM ${DATABASE}.authors WHERE id = 1`)
      return (rows as Array<{ name: string }>)[0].name
    })

  /**
   * A transactional route that appends to the author's name on node B, then, on its first run
   * only, waits for the test (`gate`), with its transaction open and the row locked; with
   * `readAfterGate` it runs one more statement after the wait, else it returns straight away
   * and the conflict meets its COMMIT.
   */
  function conflictRoute(app: FastifyInstance, url: string, readAfterGate: boolean) {
    const state = { runs: 0, updated: deferred(), gate: deferred() }
    app.post(url, { config: { transactional: true } }, async (request) => {
      state.runs++
      const tx = await request.tx()
      await tx.query("UPDATE authors SET name = CONCAT(name, '+app') WHERE id = 1")
      if (state.runs === 1) {
        state.updated.resolve()
        await state.gate.promise
      }
      if (readAfterGate) await tx.query('SELECT name FROM authors WHERE id = 1')
      return { runs: state.runs }
    })
    return state
  }

  const handlerStatement = conflictRoute(app, '/test/galera/statement', true)
  const atCommit = conflictRoute(app, '/test/galera/commit', false)

  const reset = () => galera.on(1, (b) => b.query(`REPLACE INTO ${DATABASE}.authors (id, name) VALUES (1, 'start')`))

  t.test('the abort surfaces at a statement of the handler: it re-runs, like a local deadlock', async (t) => {
    await reset()
    const response = app.inject({ method: 'POST', url: '/test/galera/statement' })
    await handlerStatement.updated.promise
    await commitOnNodeA('node-a')
    handlerStatement.gate.resolve()
    const res = await response
    t.equal(res.statusCode, 200, `the route answers 200 (${res.body})`)
    t.equal(handlerStatement.runs, 2, 'the handler ran twice: the 1213 re-ran it on a fresh transaction')
    t.equal(await nameOnNodeB(), 'node-a+app', "node A's write, then the re-run's, in that order")
  })

  // On Galera a conflict that arrives while the handler runs no statement meets the COMMIT. The
  // scope commits before the answer is handed to Fastify (src/db/deferred-answer.ts), so a 1213
  // there re-runs the handler like one a statement throws.
  t.test('the abort surfaces at COMMIT: the handler re-runs, as for a 1213 it throws', async (t) => {
    await reset()
    const deadlocksBefore = await deadlocks(app)
    const response = app.inject({ method: 'POST', url: '/test/galera/commit' })
    await atCommit.updated.promise
    await commitOnNodeA('node-a')
    atCommit.gate.resolve()
    const res = await response
    t.equal(res.statusCode, 200, `the route answers 200 (${res.statusCode} ${res.body})`)
    t.equal(await deadlocks(app), deadlocksBefore + 1, 'the first COMMIT failed with 1213 (db_errors_total{code="ER_LOCK_DEADLOCK"})')
    t.equal(atCommit.runs, 2, 'the handler ran twice')
    t.equal(await nameOnNodeB(), 'node-a+app', "node A's write, then the re-run's")
  })

  // Node A frozen: node B, one of two, has lost its quorum. It still answers a ping and
  // SELECT 1, but refuses every statement that reads or writes a table (1047).
  t.test('node B cut off from the cluster (non-Primary): queries are a 503, readiness goes red', async (t) => {
    await galera.nodes[0].pause()
    t.teardown(() => galera.nodes[0].resume())
    await galera.waitForClusterStatus(1, 'non-Primary')
    const list = await app.inject({ method: 'GET', url: '/authors' })
    t.equal(list.statusCode, 503, `reads are refused as retryable: ${list.body}`)
    t.match(list.json(), { type: 'https://lifeguard.dev/problems/database-unavailable' })
    t.ok(list.headers['retry-after'], 'with Retry-After')
    const errors = await app.inject({ method: 'GET', url: '/metrics' })
    t.match(errors.body, /^db_errors_total\{node="primary",code="ER_UNKNOWN_COM_ERROR"\} [1-9]/m, 'with 1047, "WSREP has not yet prepared node for application use"')
    // A ping still answers; readiness asks wsrep_ready on a Galera node (src/pool/health-connection.ts).
    const ready = await app.inject({ method: 'GET', url: '/health/ready' })
    t.equal(ready.statusCode, 503, 'readiness goes red, so a balancer takes the instance out')
    t.match(ready.json().detail, /wsrep_ready is OFF/)
    galera.nodes[0].resume()
    await galera.waitForClusterStatus(1, 'Primary')
    // The node reports Primary a moment before it is ready for queries again.
    let readyAgain = await app.inject({ method: 'GET', url: '/health/ready' })
    for (const until = Date.now() + 10_000; readyAgain.statusCode !== 200 && Date.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      readyAgain = await app.inject({ method: 'GET', url: '/health/ready' })
    }
    t.equal(readyAgain.statusCode, 200, 'and green again once the node rejoined')
  })
})

/** The app's own count of 1213 errors (ER_LOCK_DEADLOCK), from /metrics. */
async function deadlocks(app: FastifyInstance): Promise<number> {
  const res = await app.inject({ method: 'GET', url: '/metrics' })
  const match = /^db_errors_total\{node="primary",code="ER_LOCK_DEADLOCK"\} (\d+)$/m.exec(res.body)
  return match ? Number(match[1]) : 0
}

function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}
