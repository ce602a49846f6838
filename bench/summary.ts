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
  /** Median over rounds of this server's req/s (rows/s in bulk-create) ÷ the reference baseline's in the same round. */
  ratioToReference: number
  /** Lowest and highest of those per-round ratios: how much the machine's noise moved them. */
  ratioRange: [number, number]
}

export interface TargetCheck extends Target {
  value: number
  met: boolean
  /** For ratio targets: lowest and highest per-round ratio. */
  range?: [number, number]
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
  // Rows/s where servers write different rows per request (bulk-create), else req/s.
  const rowsPerRequest = (server: string) => scenario.perServer?.[server]?.rowsPerRequest ?? 1
  const ratiosTo: RoundRatios = (server, other) => {
    const theirs = resultsOf(other)
    return resultsOf(server).map((result, i) =>
      round((result.requestsPerSec * rowsPerRequest(server)) / (theirs[i]?.requestsPerSec * rowsPerRequest(other)), 3)
    )
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

/** Per round: `server`'s req/s (or rows/s) ÷ `other`'s in the same round. */
type RoundRatios = (server: string, other: string) => number[]

function rangeOf(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite)
  return finite.length ? [Math.min(...finite), Math.max(...finite)] : [NaN, NaN]
}

function summariseServer(server: string, results: LoadResult[], roundRatios: number[]): ServerSummary {
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
    ratioToReference: round(median(roundRatios), 3),
    ratioRange: rangeOf(roundRatios)
  }
}

function checkTarget(target: Target, lifeguard: ServerSummary, ratiosTo: RoundRatios): TargetCheck {
  const value = measureTarget(target, lifeguard, ratiosTo)
  const met =
    !Number.isNaN(value) &&
    (target.atLeast === undefined || value >= target.atLeast) &&
    (target.atMost === undefined || value <= target.atMost)
  const range = target.kind === 'ratio' ? rangeOf(ratiosTo(LIFEGUARD, target.of!)) : undefined
  return { ...target, value, met, ...(range ? { range } : {}) }
}

function measureTarget(target: Target, lifeguard: ServerSummary, ratiosTo: RoundRatios): number {
  switch (target.kind) {
    case 'ratio':
      return round(median(ratiosTo(LIFEGUARD, target.of!)), 3)
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
