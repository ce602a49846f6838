import type { FastifyInstance } from 'fastify'
import { waitForIdlePool } from '../support/pool-state'
import { describeRequest, send, type FuzzRequest, type FuzzResponse } from './fuzz-request'
import { responseViolations, type Violation } from './response-oracles'
import type { ServerLog } from './server-log'
import type { DataWatch } from './table-fingerprint'

/** How long a connection may stay lent out after the response before it counts as leaked. */
export const POOL_SETTLE_MS = 2_000

export interface CheckedRequest {
  response?: FuzzResponse
  /** Tables the request changed, whatever its status. */
  changed: string[]
  violations: Violation[]
}

/**
 * Sends one request and applies every oracle to it: (a) and (b) on the response, (c) a
 * rejected request changed no table, and (d) per request, that its connection came back.
 * Waiting for the pool before fingerprinting also makes sure a late COMMIT is counted
 * against the request that made it, not the next one.
 */
export async function checkRequest(app: FastifyInstance, watch: DataWatch, log: ServerLog, request: FuzzRequest): Promise<CheckedRequest> {
  const violations: Violation[] = []
  let response: FuzzResponse | undefined
  log.drainCauses()
  try {
    response = await send(app, request)
  } catch (err) {
    violations.push({ oracle: '(a) no answer', kind: 'hang', message: String(err) })
  }
  const pool = await waitForIdlePool(app, POOL_SETTLE_MS)
  if (pool.active > 0 || pool.pending > 0) {
    violations.push({ oracle: '(d) pool not idle after the request', kind: 'connection held', message: `active ${pool.active}, pending ${pool.pending}` })
  }
  const changed = await watch.sinceLast()
  if (response === undefined) return { changed, violations }
  if (response.statusCode >= 400 && changed.length > 0) {
    violations.push({ oracle: '(c) rejected request changed data', kind: 'data changed', message: `status ${response.statusCode}, tables changed: ${changed.join(', ')}` })
  }
  const causes = log.drainCauses()
  for (const violation of responseViolations(request, response)) {
    // A 5xx is one class per cause the server logged, not one class for all of them.
    if (violation.oracle === '(a) server error') {
      violation.kind += ` (${causes.join(' | ') || 'nothing logged'})`
      violation.message += `\n    server log: ${causes.join(' | ') || '(no error logged)'}`
    }
    violations.push(violation)
  }
  return { response, changed, violations }
}

/** A failure class: the oracle, what it found, and the status it came with (never request data). */
export function failureClass(violation: Violation, response: FuzzResponse | undefined): string {
  return `${violation.oracle} [${violation.kind}] at HTTP ${response?.statusCode ?? '-'}`
}

/** The failure report: which oracle, for which request, and what came back. */
export function reportOf(request: FuzzRequest, checked: CheckedRequest): string {
  const answer = checked.response ? `${checked.response.statusCode} ${String(checked.response.headers['content-type'] ?? '')} ${checked.response.body.slice(0, 400)}` : '(none)'
  const oracles = checked.violations.map((v) => `${v.oracle}: ${v.message}`).join('\n    ')
  return `oracle failed:\n    ${oracles}\n  request:\n  ${describeRequest(request)}\n  response: ${answer}`
}
