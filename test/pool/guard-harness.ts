import 'reflect-metadata'
import { DataSource } from 'typeorm'
import type { Config } from '../../src/config'
import { dataSourceOptions } from '../../src/db/data-source-options'
import { PoolGuard, type PoolLogger } from '../../src/pool/pool-guard'
import { guardSettingsFromConfig } from '../../src/pool/guard-settings'
import type { GuardedPool } from '../../src/pool/guarded-pool'
import type { PoolConnection } from 'mysql2'

type Tap = { teardown(fn: () => unknown): void }

export interface LoggedLine {
  level: 'warn' | 'info' | 'debug'
  obj: Record<string, unknown>
  msg: string
}

/** A logger that keeps what it is told, so tests can count warnings. */
export function recordingLogger(): PoolLogger & { lines: LoggedLine[] } {
  const lines: LoggedLine[] = []
  return {
    lines,
    warn: (obj, msg) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    info: (obj, msg) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    debug: (obj, msg) => lines.push({ level: 'debug', obj: obj as Record<string, unknown>, msg })
  }
}

/** A guard and a DataSource on it, without the HTTP app: for unit-level tests of the guard. */
export async function guardedDataSource(t: Tap, config: Config) {
  const logger = recordingLogger()
  const guard = new PoolGuard(guardSettingsFromConfig(config), logger)
  const dataSource = new DataSource(dataSourceOptions(config, { entities: [], driver: guard.driver() }))
  await dataSource.initialize()
  t.teardown(() => (dataSource.isInitialized ? dataSource.destroy() : undefined))
  const pool = (dataSource.driver as unknown as { pool: GuardedPool }).pool
  return { guard, dataSource, pool, logger }
}

/** pool.getConnection as a promise that also reports how long it took. */
export function borrow(pool: GuardedPool): Promise<PoolConnection> {
  return new Promise((resolve, reject) => {
    pool.getConnection((err, connection) => (err ? reject(err) : resolve(connection!)))
  })
}

export async function timed<T>(work: Promise<T>): Promise<{ ms: number; value?: T; error?: any }> {
  const started = Date.now()
  try {
    const value = await work
    return { ms: Date.now() - started, value }
  } catch (error) {
    return { ms: Date.now() - started, error }
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Counts the validation pings the guard sends on these connections: `counter.pings`. */
export function countPings(connections: PoolConnection[]): { pings: number } {
  const counter = { pings: 0 }
  for (const connection of connections) {
    const ping = connection.ping.bind(connection)
    connection.ping = ((callback: any) => {
      counter.pings++
      return ping(callback)
    }) as typeof connection.ping
  }
  return counter
}
