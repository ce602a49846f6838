import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createTestDatabase } from '../helper'
import { runBench } from '../../bench/index'
import { LIFEGUARD, POOL } from '../../bench/scenarios'

// Runs the real bench code end to end (seed, compile, child servers, autocannon, summary,
// files) for one scenario and one short round, so `npm run bench` cannot rot unnoticed.
// It checks that the report holds real numbers, never how fast they are.
t.test('a one-round bench of GET /books/:id reports numbers for Lifeguard and the pool baseline', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'lifeguard-bench-smoke-'))
  t.teardown(() => rmSync(outDir, { recursive: true, force: true }))
  const report = await runBench({
    databaseUrl: config.DATABASE_URL,
    seed: { authors: 5, books: 200 },
    scenarios: ['get-by-id'],
    rounds: 1,
    durationSec: 1,
    warmupSec: 0.5,
    connections: 5,
    poolSize: 3,
    overloadConnections: 20,
    overloadAcquireTimeoutMs: 100,
    outDir
  })

  t.equal(report.scenarios.length, 1)
  const [scenario] = report.scenarios
  t.equal(scenario.name, 'get-by-id')
  t.same(scenario.parity, [], 'the baseline answers like Lifeguard (status, headers, JSON shape)')
  t.same(
    scenario.servers.map((server) => server.server),
    [LIFEGUARD, POOL]
  )
  for (const server of scenario.servers) {
    t.ok(server.requestsPerSec > 0, `${server.server} served requests`)
    t.ok(server.p50Ms > 0 && server.p99Ms >= server.p50Ms, `${server.server} has latencies`)
    t.same(Object.keys(server.statusCounts), ['200'], `${server.server} answered 200 only`)
    t.equal(server.errors, 0, `${server.server} had no socket errors`)
    t.ok(server.ratioToReference > 0 && Number.isFinite(server.ratioToReference), `${server.server} has a ratio`)
  }
  t.equal(scenario.targets.length, 1)
  t.ok(Number.isFinite(scenario.targets[0].value), 'the target was measured')
  t.equal(report.runs['get-by-id'].length, 2, 'one measured run per server')

  const written = JSON.parse(readFileSync(path.join(outDir, 'results.json'), 'utf8'))
  t.same(written.scenarios, JSON.parse(JSON.stringify(report.scenarios)), 'results.json holds the summaries')
  t.match(readFileSync(path.join(outDir, 'results.md'), 'utf8'), /\| get-by-id \| lifeguard \| [\d.]+ \| [\d.]+ \|/)
  const svg = readFileSync(path.join(outDir, 'ratios.svg'), 'utf8')
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
  t.match(svg, /get-by-id ÷ pool/)
})
