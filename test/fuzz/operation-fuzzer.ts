import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { checkRequest, failureClass, reportOf } from './check-request'
import type { FuzzRequest } from './fuzz-request'
import type { Operation } from './openapi-operations'
import { requestFor, type RequestContext } from './request-arbitrary'
import type { ServerLog } from './server-log'
import type { DataWatch } from './table-fingerprint'

/**
 * Fuzzes one operation with fast-check and collects distinct failure classes, each with a
 * shrunk request. fast-check stops at the first failure, so after one is found the search
 * runs again with that class known: a request only fails that pass for a class not seen
 * yet. Every class found is reported (and fails the test); known ones are never excused.
 */
export interface FoundFailure {
  classes: string[]
  /** fast-check's report: seed, path, the shrunk request and the oracle's message. */
  report: string
}

export interface FuzzOutcome {
  sent: number
  statuses: Map<number, number>
  failures: FoundFailure[]
}

class OracleFailure extends Error {
  constructor(
    message: string,
    readonly classes: string[]
  ) {
    super(message)
  }
}

export interface FuzzOptions {
  app: FastifyInstance
  watch: DataWatch
  log: ServerLog
  operation: Operation
  context: RequestContext
  seed: number
  numRuns: number
  /** Date.now() after which no request is sent (shrinking ends with what it has). */
  deadline: number
  maxClasses: number
}

export async function fuzzOperation(options: FuzzOptions): Promise<FuzzOutcome> {
  const { app, watch, log, deadline } = options
  const outcome: FuzzOutcome = { sent: 0, statuses: new Map(), failures: [] }
  const known = new Set<string>()
  const arbitrary = requestFor(options.operation, options.context)
  // fast-check's time limit races the predicate: at the deadline it returns while a request
  // may still be in flight. That request must finish (commit, fingerprint) before the next
  // pass or operation takes its baseline, or its write is blamed on the next request.
  let inFlight: Promise<unknown> = Promise.resolve()
  for (let pass = 0; pass < options.maxClasses && Date.now() < deadline; pass++) {
    await watch.reset()
    const property = fc.asyncProperty(arbitrary, async (request: FuzzRequest) => {
      // Out of time: pass without sending, so runs and shrink steps left end at once
      // (fast-check's own time limit would abandon a predicate mid-request instead).
      if (Date.now() > deadline) return true
      outcome.sent++
      const checking = checkRequest(app, watch, log, request)
      inFlight = checking.catch(() => undefined)
      const checked = await checking
      const status = checked.response?.statusCode ?? 0
      outcome.statuses.set(status, (outcome.statuses.get(status) ?? 0) + 1)
      const classes = [...new Set(checked.violations.map((violation) => failureClass(violation, checked.response)))]
      if (classes.some((name) => !known.has(name))) throw new OracleFailure(reportOf(request, checked), classes)
      return true
    })
    // The deadline also stops generating: bodies of a wide entity cost time even when not sent.
    const details = await fc.check(property, {
      seed: options.seed + pass * 7_919,
      numRuns: options.numRuns,
      interruptAfterTimeLimit: Math.max(1, deadline - Date.now()),
      markInterruptAsFailure: false
    })
    await inFlight
    if (!details.failed) break
    const error = details.errorInstance
    const classes = error instanceof OracleFailure ? error.classes : [`(a) the test itself threw: ${String(error)}`]
    // A class already known can still come out of shrinking, next to the new one that made the run fail.
    const fresh = classes.filter((name) => !known.has(name))
    for (const name of classes) known.add(name)
    // fast-check's report names the shrunk request; the oracle's message says what was wrong with the answer.
    const report = `${fc.defaultReportMessage(details) ?? ''}\n${error instanceof Error ? error.message : String(error)}`
    outcome.failures.push({ classes: fresh.length > 0 ? fresh : classes, report })
    if (fresh.length === 0) break
  }
  return outcome
}
