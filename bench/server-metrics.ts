import { round } from './load'

/** Cumulative Prometheus counters of one scrape, keyed by series (`name{labels}`). */
export type Scrape = Map<string, number>

/** What Lifeguard's own /metrics saw during the measured rounds (server side, no HTTP queueing). */
export interface ServerSideWaits {
  /** Connections handed out, and the upper bucket bound (ms) that holds every one of their waits. */
  acquisitions: number
  acquireWaitAtMostMs: number
  /** Per replica (`node` label host:port): connections its pool handed out, and their wait bound (ms); absent without replicas. */
  replicaAcquisitions?: Record<string, { acquisitions: number; acquireWaitAtMostMs: number }>
  /** Borrows refused by the pool, by reason. */
  refused: Record<string, number>
  /** Per HTTP status: the upper bucket bound (ms) holding every request's in-server duration. */
  httpDurationAtMostMs: Record<string, number>
}

/** Reads Lifeguard's /metrics; undefined when the server has none (the baselines). */
export async function scrapeMetrics(url: string): Promise<Scrape | undefined> {
  const response = await fetch(`${url}/metrics`)
  if (!response.ok) return undefined
  const series: Scrape = new Map()
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+|\+Inf)$/.exec(line)
    // The primary's pool series carry node="primary" (replicas have their own); the bench reads those, as unlabelled.
    if (match) series.set(withoutPrimaryNode(match[1]), Number(match[2]))
  }
  return series
}

/** The counters' growth between two scrapes, read as pool waits and request durations. */
export function serverSideWaits(before: Scrape, after: Scrape): ServerSideWaits {
  const grown = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0)
  const keys = [...after.keys()]
  const acquisitions = grown('db_pool_acquire_seconds_count')
  const refused: Record<string, number> = {}
  for (const key of keys) {
    const reason = /^db_pool_timeouts_total\{reason="([^"]+)"\}$/.exec(key)?.[1]
    if (reason && grown(key) > 0) refused[reason] = grown(key)
  }
  const httpDurationAtMostMs: Record<string, number> = {}
  for (const key of keys) {
    const status = /^http_request_duration_seconds_count\{.*status_code="(\d+)".*\}$/.exec(key)?.[1]
    // The bench's own scrapes of /metrics are not load.
    if (!status || grown(key) === 0 || key.includes('route="/metrics"')) continue
    const labels = key.slice(key.indexOf('{') + 1, -1)
    const buckets = keys.filter((k) => k.startsWith('http_request_duration_seconds_bucket{') && k.includes(labels))
    const bound = smallestFullBucket(buckets, grown, grown(key))
    httpDurationAtMostMs[status] = Math.max(httpDurationAtMostMs[status] ?? 0, bound)
  }
  const replicaAcquisitions: NonNullable<ServerSideWaits['replicaAcquisitions']> = {}
  for (const key of keys) {
    const node = /^db_pool_acquire_seconds_count\{node="([^"]+)"\}$/.exec(key)?.[1]
    if (!node) continue
    const buckets = keys.filter((k) => k.startsWith('db_pool_acquire_seconds_bucket{') && k.includes(`node="${node}"`))
    replicaAcquisitions[node] = { acquisitions: grown(key), acquireWaitAtMostMs: smallestFullBucket(buckets, grown, grown(key)) }
  }
  // Only the primary's buckets: acquisitions counts the primary's borrows.
  const acquireBuckets = keys.filter((k) => k.startsWith('db_pool_acquire_seconds_bucket{') && !k.includes('node='))
  return {
    acquisitions,
    acquireWaitAtMostMs: smallestFullBucket(acquireBuckets, grown, acquisitions),
    ...(Object.keys(replicaAcquisitions).length ? { replicaAcquisitions } : {}),
    refused,
    httpDurationAtMostMs
  }
}

/** The smallest `le` (in ms) whose bucket grew by `total`, i.e. that holds every observation. */
function smallestFullBucket(buckets: string[], grown: (key: string) => number, total: number): number {
  const bounds = buckets
    .map((key) => ({ le: /le="([^"]+)"/.exec(key)![1], count: grown(key) }))
    .map(({ le, count }) => ({ ms: le === '+Inf' ? Infinity : round(Number(le) * 1000, 3), count }))
    .sort((a, b) => a.ms - b.ms)
  return bounds.find((bucket) => bucket.count >= total)?.ms ?? Infinity
}

/** `db_pool_timeouts_total{node="primary",reason="x"}` -> `db_pool_timeouts_total{reason="x"}`; `h_count{node="primary"}` -> `h_count`. */
export function withoutPrimaryNode(key: string): string {
  return key.replace(/([{,])node="primary"(,?)/, (_all, before: string, after: string) => (after || before === '{' ? before : '')).replace(/,\}$/, '}').replace(/\{\}$/, '')
}
