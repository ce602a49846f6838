import t from 'tap'
import { adminConnection } from '../helper'
import { buildSpecimenApp } from '../fixtures/specimen-app'
import { waitForIdlePool } from '../support/pool-state'
import { openTransactions } from '../support/server-state'
import { checkRequest } from './check-request'
import { harvestCursors } from './cursor-forgery'
import { describeRequest } from './fuzz-request'
import { seedFuzzData, SEEDED_ROWS } from './fuzz-fixtures'
import { FUZZ_BUDGET_MS, FUZZ_CLASSES, FUZZ_RUNS, FUZZ_SEED } from './fuzz-settings'
import { KNOWN_BAD_CATEGORIES, knownBadCases } from './known-bad-inputs'
import { fuzzOperation } from './operation-fuzzer'
import { operationName, operationsOf } from './openapi-operations'
import { ServerLog } from './server-log'
import { DataWatch } from './table-fingerprint'

// Black-box: the targets come from the app's own /openapi.json, the judgement from oracles
// that hold for any request (test/fuzz/README.md). One app and one database for the file:
// each request's effect on the data is measured by fingerprinting every table around it.
t.test('OpenAPI-driven fuzz', async (t) => {
  // Error lines only: they name the cause of a 500 in the report (server-log.ts).
  const log = new ServerLog()
  // With Specimen, which carries every column kind: each kind's codec meets hostile input too.
  const app = await buildSpecimenApp(t, { LOG_LEVEL: 'error' }, { logStream: log })
  const database = String(app.db.options.database)
  const seeded = await seedFuzzData(app)
  const admin = await adminConnection()
  t.teardown(() => admin.end())
  const watch = new DataWatch(admin, database)

  const documentResponse = await app.inject('/openapi.json')
  t.equal(documentResponse.statusCode, 200, 'the app serves its OpenAPI document')
  const operations = operationsOf(documentResponse.json())
  t.ok(operations.length > 0, `${operations.length} operations to fuzz`)

  await t.test('known-bad inputs are refused with a 4xx problem and change nothing', async (t) => {
    // The cases aim at rows 2..16 of every table; without them a misread id would find nothing.
    for (const ids of Object.values(seeded)) t.ok(ids.length >= SEEDED_ROWS && ids.includes(16), 'rows 1..16 seeded')
    const cases = knownBadCases(operations)
    for (const category of KNOWN_BAD_CATEGORIES) t.ok(cases.some((c) => c.category === category), `the document yields "${category}" cases`)
    await watch.reset()
    for (const known of cases) {
      const checked = await checkRequest(app, watch, log, known.request)
      const status = checked.response?.statusCode ?? 0
      // One assert per case listing everything wrong with it: a case is one regression, not three.
      const wrong = [
        ...(known.refused(status) ? [] : [`expected ${known.expectation}, got ${status}`]),
        ...(checked.changed.length > 0 ? [`changed tables: ${checked.changed.join(', ')}`] : []),
        ...checked.violations.map((v) => `${v.oracle}: ${v.message}`)
      ]
      const shown = { request: describeRequest(known.request), got: `${status} ${checked.response?.body.slice(0, 300) ?? ''}` }
      t.same(wrong, [], `${known.name}: ${known.expectation}, no table changed, every oracle holds`, shown)
    }
  })

  const keyNames = [...new Set(operations.flatMap((operation) => operation.pathParams.map((param) => param.name)))]
  const failureClasses = new Map<string, string>()
  const fuzzStarted = Date.now()
  for (const [index, operation] of operations.entries()) {
    await t.test(`fuzz ${operationName(operation)}`, async (t) => {
      const pages = operation.queryParams.some((param) => param.name === 'cursor')
      const cursors = pages ? await harvestCursors(app, operation, keyNames) : []
      if (pages) {
        t.ok(cursors.length > 0, 'a real cursor was harvested from a Link header')
        t.comment(`${cursors.length} cursors, ${cursors.filter((c) => c.sign).length} re-signable`)
      }
      // What is left of the budget, shared by the operations still to come. Operations overrun
      // their share a little (the request in flight at the deadline, harvesting cursors), and
      // on a loaded machine the last ones were left no time at all and sent nothing: each gets
      // at least a quarter of an even share, so the budget can only grow under load, never
      // leave an operation unfuzzed.
      const remaining = FUZZ_BUDGET_MS - (Date.now() - fuzzStarted)
      const floor = FUZZ_BUDGET_MS / operations.length / 4
      const deadline = Date.now() + Math.max(floor, remaining / (operations.length - index))
      const outcome = await fuzzOperation({
        app,
        watch,
        log,
        operation,
        context: { cursors },
        seed: FUZZ_SEED + index,
        numRuns: FUZZ_RUNS,
        deadline,
        maxClasses: FUZZ_CLASSES
      })
      t.comment(`${outcome.sent} requests; statuses ${JSON.stringify(Object.fromEntries(outcome.statuses))}`)
      t.ok(outcome.sent > 0, 'requests were sent')
      for (const failure of outcome.failures) {
        for (const name of failure.classes) if (!failureClasses.has(name)) failureClasses.set(name, operationName(operation))
        t.fail(failure.classes.join('; '), { report: failure.report })
      }
      if (outcome.failures.length === 0) t.pass('every oracle held for every request')
    })
  }

  await t.test('after the run the pool is idle and no transaction is left open', async (t) => {
    await waitForIdlePool(app, 2_000)
    const stats = app.poolGuard.stats()
    t.equal(stats.active, 0, 'no connection lent out')
    t.equal(stats.pending, 0, 'nobody waiting for a connection')
    // A rollback may trail its response; give it the same settle time as the pool.
    const settleUntil = Date.now() + 2_000
    let open = await openTransactions(admin, database)
    while (open > 0 && Date.now() < settleUntil) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      open = await openTransactions(admin, database)
    }
    t.equal(open, 0, 'the server holds no open transaction for this database')
  })

  if (failureClasses.size > 0) {
    t.comment(`failure classes (seed ${FUZZ_SEED}):\n${[...failureClasses].map(([name, where]) => `  ${name}   first in ${where}`).join('\n')}`)
  }
})
