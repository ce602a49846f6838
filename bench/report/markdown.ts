import type { ServerSideWaits } from '../server-metrics'
import type { ScenarioSummary, ServerSummary } from '../summary'

/** The results as markdown: one table of every server in every scenario, then the targets. */
export function markdownReport(summaries: ScenarioSummary[]): string {
  const lines = [
    '| scenario | server | req/s | ratio | p50 ms | p99 ms | max ms | non-2xx | errors |',
    '|---|---|---:|---:|---:|---:|---:|---|---:|'
  ]
  for (const summary of summaries) {
    for (const server of summary.servers) {
      lines.push(
        `| ${summary.name} | ${server.server} | ${server.requestsPerSec} | ${ratioCell(server)} | ` +
          `${server.p50Ms} | ${server.p99Ms} | ${server.maxAnyMs} | ${nonOk(server)} | ${server.errors} |`
      )
    }
  }
  lines.push(
    '',
    'ratio: req/s ÷ the `pool` baseline in the same round, median over rounds (lowest–highest round). ' +
      'req/s counts 2xx answers only. Latencies are of 2xx answers except max ms, the slowest answer of any status.',
    '',
    '| target | measured | met |',
    '|---|---:|---|'
  )
  for (const summary of summaries) {
    for (const target of summary.targets) {
      const range = target.range ? ` (${target.range[0]}–${target.range[1]})` : ''
      lines.push(`| ${summary.name}: ${target.label} | ${target.value}${range} | ${target.met ? 'yes' : '**no**'} |`)
    }
  }
  const measuredInside = summaries.filter((summary) => summary.lifeguardServerSide)
  if (measuredInside.length) {
    lines.push('', "Lifeguard's own /metrics over the measured rounds (server side: no client or socket queueing):", '')
    for (const summary of measuredInside) lines.push(`- ${summary.name}: ${describeServerSide(summary.lifeguardServerSide!)}`)
  }
  const differences = summaries.flatMap((summary) => summary.parity.map((d) => `- ${summary.name}: ${d}`))
  if (differences.length) lines.push('', 'Answers that differ from Lifeguard\'s (ratios compare unlike work):', ...differences)
  return lines.join('\n') + '\n'
}

function ratioCell(server: ServerSummary): string {
  const [low, high] = server.ratioRange
  if (server.rounds < 2 || low === high) return server.ratioToReference.toFixed(2)
  return `${server.ratioToReference.toFixed(2)} (${low.toFixed(2)}–${high.toFixed(2)})`
}

function describeServerSide(waits: ServerSideWaits): string {
  const refused = Object.entries(waits.refused).map(([reason, count]) => `${count} ${reason}`)
  const durations = Object.entries(waits.httpDurationAtMostMs).map(([status, ms]) => `${status} ≤ ${ms} ms`)
  const replicas = Object.entries(waits.replicaAcquisitions ?? {}).map(
    ([node, lent]) => `${lent.acquisitions} by replica ${node} (every wait ≤ ${lent.acquireWaitAtMostMs} ms)`
  )
  // A primary that lent nothing (its reads all on replicas) has no wait to bound.
  const primaryWait = waits.acquisitions > 0 ? `, every wait ≤ ${waits.acquireWaitAtMostMs} ms (bucket bound)` : ''
  return (
    `${waits.acquisitions} connections lent${replicas.length ? ' by the primary' : ''}${primaryWait}` +
    `${replicas.length ? `; ${replicas.join(', ')}` : ''}` +
    `${refused.length ? `; refused: ${refused.join(', ')}` : ''}; time in server by status: ${durations.join(', ')}`
  )
}

function nonOk(server: ServerSummary): string {
  const refused = Object.entries(server.statusCounts).filter(([status]) => !status.startsWith('2'))
  if (refused.length === 0) return '0'
  const counts = refused.map(([status, count]) => `${status}×${count}`).join(' ')
  return server.share503 > 0 ? `${counts} (${(server.share503 * 100).toFixed(1)}% 503)` : counts
}
