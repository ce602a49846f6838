import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { LoadResult } from '../../bench/load'
import type { ScenarioRuns } from '../../bench/measure'
import { shapeOf } from '../../bench/parity'
import { summariseCpuProfile } from '../../bench/profile/cpu-profile'
import { markdownReport } from '../../bench/report/markdown'
import { ratioSections, svgChart } from '../../bench/report/svg-chart'
import type { Scenario } from '../../bench/scenarios'
import { serverSideWaits, withoutPrimaryNode } from '../../bench/server-metrics'
import { median, summariseScenario } from '../../bench/summary'

// The arithmetic of the report on made-up runs, where every right answer is known.

function result(requestsPerSec: number, extra: Partial<LoadResult> = {}): LoadResult {
  return {
    durationSec: 1,
    requestsPerSec,
    p50Ms: 10,
    p99Ms: 20,
    maxMs: 30,
    maxAnyMs: 30,
    statusCounts: { '200': requestsPerSec },
    errors: 0,
    timeouts: 0,
    ...extra
  }
}

const spec = (name: string) => ({ name, entry: `${name}.ts`, env: {} })

function measured(scenario: Partial<Scenario>, runs: Array<[string, LoadResult]>): ScenarioRuns {
  return {
    scenario: {
      name: 'demo',
      description: 'demo',
      servers: [spec('lifeguard'), spec('pool'), spec('single')],
      requests: [],
      targets: [],
      limitedBy: 'nothing',
      ...scenario
    },
    connections: 50,
    runs: runs.map(([server, r], i) => ({ server, round: Math.floor(i / 3) + 1, result: r })),
    window: { startedAt: 0, endedAt: 0, stoppedAt: 0 },
    pids: {},
    parity: [],
    serverSide: {}
  }
}

t.test('median of odd and even counts ignores NaN', async (t) => {
  t.equal(median([3, 1, 2]), 2)
  t.equal(median([4, 1, 3, 2]), 2.5)
  t.equal(median([NaN, 5]), 5)
  t.ok(Number.isNaN(median([])))
})

t.test('ratios are taken round by round, then the median of them', async (t) => {
  // Round 2 is slow for everyone (drift): per-round ratios stay 0.9, 0.9, then 0.951.
  const summary = summariseScenario(
    measured(
      {
        targets: [
          { label: 'ceiling', kind: 'ratio', of: 'pool', atLeast: 0.95 },
          { label: 'vs single', kind: 'ratio', of: 'single', atLeast: 8 },
          { label: 'bound', kind: 'bound', bound: 1000, atLeast: 0.9 }
        ]
      },
      [
        ['lifeguard', result(900)],
        ['pool', result(1000)],
        ['single', result(100)],
        ['lifeguard', result(450)],
        ['pool', result(500)],
        ['single', result(50)],
        ['lifeguard', result(980)],
        ['pool', result(1030)],
        ['single', result(103)]
      ]
    )
  )
  const lifeguard = summary.servers[0]
  t.equal(lifeguard.requestsPerSec, 900, 'median req/s')
  t.equal(lifeguard.ratioToReference, 0.9)
  t.same(lifeguard.ratioRange, [0.9, 0.951], 'the spread of the per-round ratios')
  t.equal(summary.servers[1].ratioToReference, 1)
  t.same(
    summary.targets.map((target) => [target.label, target.value, target.met, target.range]),
    [
      ['ceiling', 0.9, false, [0.9, 0.951]],
      ['vs single', 9, true, [9, 9.515]],
      ['bound', 0.9, true, undefined]
    ]
  )
  t.match(markdownReport([summary]), /\| demo \| lifeguard \| 900 \| 0\.90 \(0\.90–0\.95\) \|/)
})

t.test('servers that write different rows per request are compared in rows/s', async (t) => {
  // 20 bulk requests of 1000 rows against 1000 one-row requests: 20,000 vs 1,000 rows/s.
  const summary = summariseScenario(
    measured(
      {
        servers: [spec('lifeguard'), spec('one-row')],
        perServer: { lifeguard: { requests: [], rowsPerRequest: 1000 }, 'one-row': { requests: [], rowsPerRequest: 1 } },
        targets: [{ label: 'bulk', kind: 'ratio', of: 'one-row', atLeast: 10 }]
      },
      [
        ['lifeguard', result(20)],
        ['one-row', result(1000)]
      ]
    )
  )
  t.equal(summary.servers[0].requestsPerSec, 20, 'req/s stays req/s')
  t.equal(summary.servers[0].ratioToReference, 20)
  t.same(
    summary.targets.map((target) => [target.value, target.met]),
    [[20, true]]
  )
})

t.test('overload targets: slowest answer of any status, and every non-2xx but 503 is an error', async (t) => {
  const summary = summariseScenario(
    measured(
      {
        servers: [spec('lifeguard')],
        targets: [
          { label: 'latency', kind: 'max-latency', atMost: 200 },
          { label: 'errors', kind: 'non-503-errors', atMost: 0 }
        ]
      },
      [
        ['lifeguard', result(100, { maxAnyMs: 150, statusCounts: { '200': 100, '503': 300 } })],
        ['lifeguard', result(100, { maxAnyMs: 250, statusCounts: { '200': 100, '503': 300, '500': 2 }, errors: 1 })]
      ]
    )
  )
  t.equal(summary.servers[0].share503, 0.7481)
  t.same(
    summary.targets.map((target) => [target.value, target.met]),
    [
      [250, false],
      [3, false]
    ]
  )
  t.match(markdownReport([summary]), /503×600 \(74\.8% 503\)/)
})

t.test('the chart draws one bar per ratio target, each section on its own scale', async (t) => {
  const summary = summariseScenario(
    measured({ targets: [{ label: 'x', kind: 'ratio', of: 'pool', atLeast: 0.95 }, { label: 'y', kind: 'ratio', of: 'single', atLeast: 8 }] }, [
      ['lifeguard', result(900)],
      ['pool', result(1000)],
      ['single', result(90)]
    ])
  )
  const sections = ratioSections([summary])
  t.same(
    sections.map((section) => section.bars.map((bar) => [bar.label, bar.value, bar.target])),
    [[['demo ÷ pool', 0.9, 0.95]], [['demo ÷ single', 10, 8]]]
  )
  const svg = svgChart('a <title>', sections)
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>/)
  t.match(svg, /a &lt;title&gt;/, 'text is escaped')
  t.equal(svg.match(/<rect x=/g)?.length, 2, 'two bars')
  t.match(svg, /fill="#d9822b"/, 'the missed target is drawn in orange')
  t.match(svg, /fill="#3a9d5d"/, 'the met target in green')
})

t.test('JSON shapes compare keys and types, not values', async (t) => {
  t.equal(shapeOf({ b: 1, a: 'x' }), shapeOf({ a: 'y', b: 2 }))
  t.not(shapeOf({ a: 1 }), shapeOf({ a: '1' }))
  t.equal(shapeOf([{ id: 1 }, { id: 2 }]), '[2×{id:number}]')
  t.equal(shapeOf(null), 'null')
})

t.test('CPU profile: self time inside the load window, attributed to its owner', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeguard-profile-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const root = '/repo'
  const frame = (id: number, functionName: string, url: string) => ({ id, callFrame: { functionName, url, lineNumber: 0 } })
  // Samples every 1 ms from t=0 to t=10 ms (profile clock in µs); the process stopped at 10 ms.
  const profile = {
    nodes: [
      frame(1, '(root)', ''),
      frame(2, 'handler', `file://${root}/bench/.tmp/build-42/src/rest/read-routes.js`),
      frame(3, 'query', `file://${root}/node_modules/typeorm/driver/mysql/MysqlQueryRunner.js`),
      frame(4, '(idle)', '')
    ],
    startTime: 0,
    endTime: 10_000,
    samples: [2, 2, 3, 3, 3, 4, 2, 2, 2, 3],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000]
  }
  const file = path.join(dir, 'test.cpuprofile')
  writeFileSync(file, JSON.stringify(profile))
  // Load ran from 8 ms to 5 ms before the stop, i.e. profile times 2000..5000 µs: samples 2-5.
  const summary = summariseCpuProfile(file, { startedAt: 0, endedAt: 3, stoppedAt: 8 }, root)
  t.same(
    summary.byOwner.map((owner) => [owner.owner, owner.selfMs]),
    [
      ['typeorm', 3],
      ['lifeguard (src/, entities/)', 1]
    ]
  )
  t.equal(summary.top[0].location, 'typeorm/driver/mysql/MysqlQueryRunner.js:1')
  t.equal(summary.top[1].location, 'src/rest/read-routes.js:1')
})

t.test("Lifeguard's /metrics growth between two scrapes: bucket bounds holding every wait", async (t) => {
  const scrape = (acquired: number[], timeouts: number, ok: number[]) =>
    new Map<string, number>([
      ['db_pool_acquire_seconds_bucket{le="0.01"}', acquired[0]],
      ['db_pool_acquire_seconds_bucket{le="0.1"}', acquired[1]],
      ['db_pool_acquire_seconds_bucket{le="+Inf"}', acquired[1]],
      ['db_pool_acquire_seconds_count', acquired[1]],
      ['db_pool_timeouts_total{reason="acquire_timeout"}', timeouts],
      ['http_request_duration_seconds_bucket{le="0.05",method="GET",route="/x",status_code="200"}', ok[0]],
      ['http_request_duration_seconds_bucket{le="0.5",method="GET",route="/x",status_code="200"}', ok[1]],
      ['http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/x",status_code="200"}', ok[1]],
      ['http_request_duration_seconds_count{method="GET",route="/x",status_code="200"}', ok[1]]
    ])
  // Before: 5 fast acquisitions (warm-up). During: 10 more, 3 of them slower than 10 ms.
  const waits = serverSideWaits(scrape([5, 5], 0, [5, 5]), scrape([12, 15], 4, [10, 15]))
  t.same(waits, {
    acquisitions: 10,
    acquireWaitAtMostMs: 100,
    refused: { acquire_timeout: 4 },
    httpDurationAtMostMs: { '200': 500 }
  })
  // With replicas, each replica's borrows are its own; the primary's figures stay the primary's.
  const replica = 'node="127.0.0.1:3307"'
  const withReplica = (primary: number, fast: number, all: number) =>
    new Map<string, number>([
      ['db_pool_acquire_seconds_count', primary],
      [`db_pool_acquire_seconds_bucket{le="0.01",${replica}}`, fast],
      [`db_pool_acquire_seconds_bucket{le="0.1",${replica}}`, all],
      [`db_pool_acquire_seconds_bucket{le="+Inf",${replica}}`, all],
      [`db_pool_acquire_seconds_count{${replica}}`, all]
    ])
  t.same(serverSideWaits(withReplica(0, 0, 0), withReplica(0, 20, 30)), {
    acquisitions: 0,
    acquireWaitAtMostMs: Infinity,
    replicaAcquisitions: { '127.0.0.1:3307': { acquisitions: 30, acquireWaitAtMostMs: 100 } },
    refused: {},
    httpDurationAtMostMs: {}
  })
  // A scrape's keys are read without the primary's node label (the bench runs one node).
  t.equal(withoutPrimaryNode('db_pool_acquire_seconds_count{node="primary"}'), 'db_pool_acquire_seconds_count')
  t.equal(withoutPrimaryNode('db_pool_acquire_seconds_bucket{le="0.01",node="primary"}'), 'db_pool_acquire_seconds_bucket{le="0.01"}')
  t.equal(withoutPrimaryNode('db_pool_timeouts_total{node="primary",reason="acquire_timeout"}'), 'db_pool_timeouts_total{reason="acquire_timeout"}')
  t.equal(withoutPrimaryNode('db_pool_timeouts_total{node="10.0.0.2:3306",reason="queue_full"}'), 'db_pool_timeouts_total{node="10.0.0.2:3306",reason="queue_full"}')
})
