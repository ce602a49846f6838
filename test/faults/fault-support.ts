import type { ClientRequest } from 'node:http'
import 'reflect-metadata'
import type { FastifyInstance } from 'fastify'
import { loadConfig, type Config } from '../../src/config'
import { buildApp, type BuildAppOptions } from '../../src/app'
import { ensureDatabase, runPendingMigrations } from '../../src/db/prepare-database'
import { waitForIdlePool } from '../support/pool-state'

export { openTransactions, runningStatements, serverConnections } from '../support/server-state'

type Tap = { teardown(fn: () => unknown): void }

export const FAULT_DATABASE = 'lifeguard_faults'

/** The whole app on a database of the given server (a private one, for destructive cases). */
export async function buildAppOn(
  t: Tap,
  serverUrl: string,
  overrides: Partial<Config> = {},
  options: BuildAppOptions = {}
): Promise<FastifyInstance> {
  const config = { ...loadConfig({ DATABASE_URL: `${serverUrl}/${FAULT_DATABASE}`, LOG_LEVEL: 'silent' }), ...overrides }
  await ensureDatabase(config)
  await runPendingMigrations(config)
  const app = await buildApp(config, options)
  t.teardown(() => app.close())
  return app
}

/** After every fault case: nothing lent out, nobody waiting. */
export async function assertPoolSettled(t: { equal: Function }, app: FastifyInstance): Promise<void> {
  const state = await waitForIdlePool(app, 5_000)
  t.equal(state.active, 0, 'pool active count back to 0')
  t.equal(state.pending, 0, 'no borrower left waiting')
}

/** Status codes of `count` concurrent GETs. */
export async function burst(app: FastifyInstance, url: string, count: number): Promise<number[]> {
  const responses = await Promise.all(Array.from({ length: count }, () => app.inject(url)))
  return responses.map((response) => response.statusCode)
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits until the statement runs, hangs up, and measures how long the server still runs it. */
export async function hangUpWhileRunning(t: { equal: Function; ok: Function }, req: ClientRequest, running: () => Promise<number>): Promise<void> {
  const seenBy = Date.now() + 5_000
  while ((await running()) === 0 && Date.now() < seenBy) await sleep(10)
  t.equal(await running(), 1, 'the statement is running on the server')
  const abortedAt = Date.now()
  req.destroy()
  while ((await running()) > 0 && Date.now() - abortedAt < 3_000) await sleep(10)
  const goneAfter = Date.now() - abortedAt
  t.equal(await running(), 0, 'the statement is gone from the processlist')
  t.ok(goneAfter < 1_000, `within 1 s of the abort (${goneAfter} ms)`)
}
