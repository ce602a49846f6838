import type { FastifyInstance } from 'fastify'

/** One labelled metric's series in a real /metrics scrape, as `{ labelValue: value }`. */
async function seriesByLabel(app: FastifyInstance, metric: string, label: string): Promise<Record<string, number>> {
  const scrape = (await app.inject('/metrics')).body
  const line = new RegExp(`^${metric}\\{${label}="([^"]+)"\\} (\\S+)$`, 'gm')
  return Object.fromEntries([...scrape.matchAll(line)].map((m) => [m[1], Number(m[2])]))
}

/** lifeguard_ready by reason: `{ ok: 1 }` while ready. */
export const readySeries = (app: FastifyInstance) => seriesByLabel(app, 'lifeguard_ready', 'reason')

/** lifeguard_readiness_checks_total by result. */
export const readinessCheckCounts = (app: FastifyInstance) => seriesByLabel(app, 'lifeguard_readiness_checks_total', 'result')
