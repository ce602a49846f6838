import { runLoad, type LoadResult } from './load'
import { parityDifferences } from './parity'
import { scrapeMetrics, serverSideWaits, type Scrape, type ServerSideWaits } from './server-metrics'
import type { Scenario } from './scenarios'
import { startServer, type RunningServer } from './server-process'

export interface RunSettings {
  rounds: number
  durationSec: number
  warmupSec: number
  /** HTTP connections, unless a scenario sets its own. */
  connections: number
}

export interface ServerRun {
  server: string
  round: number
  result: LoadResult
}

/** When the measured load ran, in this process's clock, so a CPU profile can be cut to it. */
export interface LoadWindow {
  startedAt: number
  endedAt: number
  stoppedAt: number
}

export interface ScenarioRuns {
  scenario: Scenario
  connections: number
  runs: ServerRun[]
  window: LoadWindow
  pids: Record<string, number>
  /** How the baselines' answers differ from Lifeguard's (see parity.ts); empty when alike. */
  parity: string[]
  /** From the /metrics of servers that have one (Lifeguard), over the measured rounds. */
  serverSide: Record<string, ServerSideWaits>
}

export type Progress = (line: string) => void

/**
 * Starts every server of a scenario, warms each one up, then measures them in turns, one
 * round after another, so drift of the shared machine hits all of them alike. Servers that
 * are not being driven sit idle, so running them side by side costs nothing.
 */
export async function measureScenario(
  scenario: Scenario,
  settings: RunSettings,
  buildDir: string,
  progress: Progress,
  nodeFlagsFor: (server: string) => string[] = () => []
): Promise<ScenarioRuns> {
  const connections = scenario.connections ?? settings.connections
  const load = { connections, durationSec: settings.durationSec }
  const servers: RunningServer[] = []
  const runs: ServerRun[] = []
  const window = { startedAt: 0, endedAt: 0, stoppedAt: 0 }
  let parity: string[] = []
  const serverSide: Record<string, ServerSideWaits> = {}
  try {
    // Started one after another: parallel ts-node start-ups only fight over the 2 cores.
    for (const spec of scenario.servers) servers.push(await startServer(spec, buildDir, nodeFlagsFor(spec.name)))
    // Servers sent requests of their own (bulk vs one row) answer unlike each other by design.
    if (!scenario.perServer) parity = await parityDifferences(scenario.requests[0], servers)
    for (const difference of parity) progress(`${scenario.name}: answers differ: ${difference}`)
    const requestsOf = (server: RunningServer) => scenario.perServer?.[server.name]?.requests ?? scenario.requests
    for (const server of servers) {
      progress(`${scenario.name}: warming up ${server.name}`)
      await runLoad(server.url, requestsOf(server), { connections, durationSec: settings.warmupSec })
    }
    const before = new Map<string, Scrape | undefined>()
    for (const server of servers) before.set(server.name, await scrapeMetrics(server.url))
    window.startedAt = Date.now()
    for (let round = 1; round <= settings.rounds; round++) {
      // A B, then B A, ...: a steady drift of the shared machine then favours no server.
      for (const server of round % 2 ? servers : [...servers].reverse()) {
        const result = await runLoad(server.url, requestsOf(server), load)
        progress(`${scenario.name} round ${round} ${server.name}: ${result.requestsPerSec} req/s, p99 ${result.p99Ms} ms`)
        runs.push({ server: server.name, round, result })
      }
    }
    window.endedAt = Date.now()
    for (const server of servers) {
      const first = before.get(server.name)
      const last = first && (await scrapeMetrics(server.url))
      if (first && last) serverSide[server.name] = serverSideWaits(first, last)
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()))
    window.stoppedAt = Date.now()
  }
  const pids = Object.fromEntries(servers.map((server) => [server.name, server.pid]))
  return { scenario, connections, runs, window, pids, parity, serverSide }
}
