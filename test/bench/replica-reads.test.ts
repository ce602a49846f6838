import t from 'tap'
import { createTestDatabase } from '../helper'
import { runBench } from '../../bench/index'
import { LIFEGUARD } from '../../bench/scenarios'
import { LIFEGUARD_PRIMARY_ONLY } from '../../bench/replica-reads'

// The replica-reads scenario end to end (private primary + 2 replicas, seed replicated, both
// servers driven), one short round, so `npm run bench -- replica-reads` cannot rot unnoticed.
// It checks where the reads went, never how fast they were.
t.test('replica-reads: the replicas serve the reads of the server that has them', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const report = await runBench({
    databaseUrl: config.DATABASE_URL,
    seed: { authors: 5, books: 200 },
    scenarios: ['replica-reads'],
    rounds: 1,
    durationSec: 1,
    warmupSec: 0.5,
    connections: 5,
    poolSize: 2,
    overloadConnections: 20,
    overloadAcquireTimeoutMs: 100
  })

  const [scenario] = report.scenarios
  t.same(
    scenario.servers.map((server) => server.server),
    [LIFEGUARD, LIFEGUARD_PRIMARY_ONLY]
  )
  t.same(scenario.parity, [], 'both answer alike')
  t.equal(scenario.connections, 2 * 3 * 2, 'pool × nodes × 2 connections')
  for (const server of scenario.servers) {
    t.ok(server.requestsPerSec > 0, `${server.server} served requests`)
    t.same(Object.keys(server.statusCounts), ['200'], `${server.server} answered 200 only`)
  }
  const inside = scenario.lifeguardServerSide!
  t.equal(inside.acquisitions, 0, 'the primary lent no connection to the server with replicas')
  const replicas = Object.values(inside.replicaAcquisitions ?? {})
  t.equal(replicas.length, 2, 'two replica pools')
  for (const replica of replicas) t.ok(replica.acquisitions > 0, 'each replica served reads')
  t.ok(Number.isFinite(scenario.targets[0].value), 'the ratio was measured')
})
