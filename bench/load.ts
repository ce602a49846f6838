import autocannon from 'autocannon'

export type RequestPlan = autocannon.Request

export interface LoadSettings {
  connections: number
  durationSec: number
}

/** What one measured run of one server gave. Latencies in ms, measured by the client. */
export interface LoadResult {
  durationSec: number
  /** 2xx responses per second: errors and refusals never count as throughput. */
  requestsPerSec: number
  /** Latency of the 2xx responses ("admitted" requests). */
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** Longest answer of any status, including 503 refusals. */
  maxAnyMs: number
  /** Responses by HTTP status. */
  statusCounts: Record<string, number>
  /** Requests that got no HTTP answer: socket errors and client timeouts. */
  errors: number
  timeouts: number
}

/** Seconds a request may take before autocannon counts it as a timeout. */
const CLIENT_TIMEOUT_SEC = 10

/**
 * Drives one server with autocannon for a fixed time. Latencies come from autocannon's
 * per-response event, kept per status class, because its own histogram mixes admitted
 * requests with fast 503 refusals whenever it is told to count errors at all.
 */
export async function runLoad(url: string, requests: RequestPlan[], settings: LoadSettings): Promise<LoadResult> {
  const okLatencies: number[] = []
  let maxAnyMs = 0
  const instance = autocannon({
    url,
    connections: settings.connections,
    duration: settings.durationSec,
    timeout: CLIENT_TIMEOUT_SEC,
    requests
  })
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode >= 200 && statusCode < 300) okLatencies.push(responseTimeMs)
    if (responseTimeMs > maxAnyMs) maxAnyMs = responseTimeMs
  })
  const result = await instance
  const sorted = Float64Array.from(okLatencies).sort()
  const statusCounts: Record<string, number> = {}
  for (const [status, { count }] of Object.entries(result.statusCodeStats)) statusCounts[status] = count
  return {
    durationSec: result.duration,
    requestsPerSec: round(result['2xx'] / result.duration, 1),
    p50Ms: round(percentile(sorted, 0.5), 2),
    p99Ms: round(percentile(sorted, 0.99), 2),
    maxMs: round(sorted.length ? sorted[sorted.length - 1] : NaN, 2),
    maxAnyMs: round(maxAnyMs, 2),
    statusCounts,
    errors: result.errors,
    timeouts: result.timeouts
  }
}

function percentile(sorted: Float64Array, share: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}
