import t from 'tap'
import { createTestDatabase } from '../helper'
import { runBench } from '../../bench/index'
import { LIFEGUARD } from '../../bench/scenarios'
import { LIFEGUARD_NO_POSITION, LIFEGUARD_PRIMARY_ONLY } from '../../bench/replica-reads'

// The replica-reads and replica-position scenarios end to end (private primary + 2 replicas,
// seed replicated, both servers driven), one short round each, so `npm run bench -- replica-reads`
// and `-- replica-position` cannot rot unnoticed. It checks where the reads went, never how fast.
t.test('replica-reads: the replicas serve the reads of the server that has them', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const report = await runBench({
    databaseUrl: config.DATABASE_URL,
    seed: { authors: 5, books: 200 },
    scenarios: ['replica-reads', 'replica-position'],
    rounds: 1,
    durationSec: 1,
    warmupSec: 0.5,
    connections: 5,
    poolSize: 2,
    overloadConnections: 20,
    overloadAcquireTimeoutMs: 100
  })

  const [scenario, position] = report.scenarios
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
  const replicas = Object.values(inside.replicaAcquisitions ?? {})
  t.equal(replicas.length, 2, 'two replica pools')
  for (const replica of replicas) t.ok(replica.acquisitions > 0, 'each replica served reads')
  // Saturated replicas spill reads over to the primary (src/pool/read-router.ts); the replicas come first.
  const onReplicas = replicas.reduce((sum, replica) => sum + replica.acquisitions, 0)
  t.ok(inside.acquisitions < onReplicas, `the replicas served most reads (primary ${inside.acquisitions}, replicas ${onReplicas})`)
  t.ok(Number.isFinite(scenario.targets[0].value), 'the ratio was measured')

  t.same(
    position.servers.map((server) => server.server),
    [LIFEGUARD, LIFEGUARD_NO_POSITION],
    'replica-position: reads with a position against the same reads without'
  )
  for (const server of position.servers) t.same(Object.keys(server.statusCounts), ['200'], `${server.server} answered 200 only`)
  t.ok(Number.isFinite(position.targets[0].value), 'the ratio was measured')
})
