import type { LoadResult } from './load'
import { round } from './load'
import type { ScenarioRuns } from './measure'
import { LIFEGUARD, type Target } from './scenarios'
import type { ServerSideWaits } from './server-metrics'

export interface ServerSummary {
  server: string
  rounds: number
  /** Medians over rounds. */
  requestsPerSec: number
  p50Ms: number
  p99Ms: number
  /** Maxima over all rounds: the one slowest answer counts. */
  maxMs: number
  maxAnyMs: number
  /** Summed over rounds. */
  statusCounts: Record<string, number>
  errors: number
  /** Share of all HTTP answers that were 503 refusals (the overload scenario's figure). */
  share503: number
  /** Median over rounds of this server's req/s ÷ the reference baseline's in the same round. */
  ratioToReference: number
}

export interface TargetCheck extends Target {
  value: number
  met: boolean
}

export interface ScenarioSummary {
  name: string
  description: string
  limitedBy: string
  connections: number
  reference: string
  servers: ServerSummary[]
  targets: TargetCheck[]
  /** How the other servers' answers differ from Lifeguard's; empty when alike. */
  parity: string[]
  /** Lifeguard's own /metrics over the measured rounds, when it has them. */
  lifeguardServerSide?: ServerSideWaits
}

export function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** Medians per server, ratios taken round by round, and each target of the scenario checked. */
export function summariseScenario(measured: ScenarioRuns): ScenarioSummary {
  const { scenario, runs } = measured
  const reference = scenario.servers[1]?.name ?? scenario.servers[0].name
  const resultsOf = (server: string) => runs.filter((run) => run.server === server).map((run) => run.result)
  const ratiosTo = (server: string, other: string) => {
    const mine = resultsOf(server)
    const theirs = resultsOf(other)
    return round(median(mine.map((result, i) => result.requestsPerSec / theirs[i]?.requestsPerSec)), 3)
  }
  const servers = scenario.servers.map(({ name }) => summariseServer(name, resultsOf(name), ratiosTo(name, reference)))
  const lifeguard = servers.find((summary) => summary.server === LIFEGUARD)
  const targets = lifeguard ? scenario.targets.map((target) => checkTarget(target, lifeguard, ratiosTo)) : []
  return {
    name: scenario.name,
    description: scenario.description,
    limitedBy: scenario.limitedBy,
    connections: measured.connections,
    reference,
    servers,
    targets,
    parity: measured.parity,
    lifeguardServerSide: measured.serverSide[LIFEGUARD]
  }
}

function summariseServer(server: string, results: LoadResult[], ratioToReference: number): ServerSummary {
  const statusCounts: Record<string, number> = {}
  for (const result of results) {
    for (const [status, count] of Object.entries(result.statusCounts)) statusCounts[status] = (statusCounts[status] ?? 0) + count
  }
  return {
    server,
    rounds: results.length,
    requestsPerSec: round(median(results.map((r) => r.requestsPerSec)), 1),
    p50Ms: round(median(results.map((r) => r.p50Ms)), 2),
    p99Ms: round(median(results.map((r) => r.p99Ms)), 2),
    maxMs: Math.max(...results.map((r) => r.maxMs)),
    maxAnyMs: Math.max(...results.map((r) => r.maxAnyMs)),
    statusCounts,
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    share503: round((statusCounts['503'] ?? 0) / Object.values(statusCounts).reduce((a, b) => a + b, 0), 4),
    ratioToReference
  }
}

function checkTarget(
  target: Target,
  lifeguard: ServerSummary,
  ratiosTo: (server: string, other: string) => number
): TargetCheck {
  const value = measureTarget(target, lifeguard, ratiosTo)
  const met =
    !Number.isNaN(value) &&
    (target.atLeast === undefined || value >= target.atLeast) &&
    (target.atMost === undefined || value <= target.atMost)
  return { ...target, value, met }
}

function measureTarget(
  target: Target,
  lifeguard: ServerSummary,
  ratiosTo: (server: string, other: string) => number
): number {
  switch (target.kind) {
    case 'ratio':
      return ratiosTo(LIFEGUARD, target.of!)
    case 'bound':
      return round(lifeguard.requestsPerSec / target.bound!, 3)
    case 'max-latency':
      return lifeguard.maxAnyMs
    case 'non-503-errors':
      return (
        lifeguard.errors +
        Object.entries(lifeguard.statusCounts)
          .filter(([status]) => !status.startsWith('2') && status !== '503')
          .reduce((sum, [, count]) => sum + count, 0)
      )
  }
}
