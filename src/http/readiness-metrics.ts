import { Counter, Gauge, type Registry } from 'prom-client'

/**
 * What a readiness check concluded. A closed set, so the label stays bounded whatever the
 * driver reports (its codes go to the log line, not to a label). Saturation is not here: a
 * saturated pool is still `ok` (src/http/health.ts says why).
 */
export type ReadinessOutcome = 'ok' | 'draining' | 'database_timeout' | 'database_unreachable'

/** The outcome a failed ping's reason maps to: a silent server is told apart from a refusing one. */
export function outcomeOfUnreachable(reason: string | undefined): ReadinessOutcome {
  return reason === 'timeout' ? 'database_timeout' : 'database_unreachable'
}

/**
 * `lifeguard_ready{reason}` and `lifeguard_readiness_checks_total{result}`, set by every
 * /health/ready check. The app's own view of its readiness, so an alert can say why (the
 * blackbox probe's probe_success only says that). The gauge holds one series at a time, the
 * last check's reason: the previous one is removed, or a `database_unreachable` 0 would stay
 * next to the `ok` 1 after recovery and an alert on `== 0` would never clear. Before the
 * first check there is no series: nothing has been checked yet.
 */
export function registerReadinessMetrics(registry: Registry): (outcome: ReadinessOutcome) => void {
  const ready = new Gauge({
    name: 'lifeguard_ready',
    help: '1 when the last /health/ready check passed, else 0; reason: ok, draining, database_timeout, database_unreachable',
    labelNames: ['reason'] as const,
    registers: [registry]
  })
  const checks = new Counter({
    name: 'lifeguard_readiness_checks_total',
    help: '/health/ready checks by result: ok, draining, database_timeout, database_unreachable',
    labelNames: ['result'] as const,
    registers: [registry]
  })
  let last: ReadinessOutcome | undefined
  return (outcome) => {
    if (last !== undefined && last !== outcome) ready.remove({ reason: last })
    ready.set({ reason: outcome }, outcome === 'ok' ? 1 : 0)
    last = outcome
    checks.inc({ result: outcome })
  }
}
