import type { Config } from '../config'

/** Everything the pool guard needs to know, in one plain object (tests build it directly). */
export interface GuardSettings {
  /** Most connections open at once (mysql2 `connectionLimit`). */
  connectionLimit: number
  /** Idle connections kept open; above this, idle ones older than idleTimeoutMs are closed. */
  maxIdle: number
  idleTimeoutMs: number
  /** Waiters allowed at once; 0 = unbounded. */
  queueLimit: number
  /** One absolute deadline per borrow, validation included. */
  acquireTimeoutMs: number
  /** 0 = connections live forever. */
  maxLifetimeMs: number
  /** A connection idle longer than this is pinged before it is lent; 0 = always ping. */
  validateAfterIdleMs: number
  /** Longest wait for a validation ping (further capped by the borrow's deadline). */
  validationTimeoutMs: number
  /** 0 = off. */
  leakDetectionMs: number
  /** Server-side limit per statement; 0 = off. */
  statementTimeoutMs: number
  /**
   * Client-side limit per statement, enforced even when the server cannot (frozen, cut off):
   * the statement fails, its connection is destroyed and its query killed later; 0 = off.
   */
  statementDeadlineMs: number
  /** How often running statements are checked against statementDeadlineMs. */
  deadlineCheckIntervalMs: number
  /** How often the idle sweeper looks at idle connections. */
  sweepIntervalMs: number
}

/** Up to this share of max lifetime is taken off each connection's age limit, so they do not all retire at once. */
export const LIFETIME_JITTER_SHARE = 0.1

export function guardSettingsFromConfig(config: Config): GuardSettings {
  const settings = {
    connectionLimit: config.DB_POOL_SIZE,
    maxIdle: Math.min(config.DB_POOL_MAX_IDLE ?? config.DB_POOL_SIZE, config.DB_POOL_SIZE),
    idleTimeoutMs: config.DB_POOL_IDLE_TIMEOUT_MS,
    queueLimit: config.DB_POOL_QUEUE_LIMIT,
    acquireTimeoutMs: config.DB_POOL_ACQUIRE_TIMEOUT_MS,
    maxLifetimeMs: config.DB_POOL_MAX_LIFETIME_MS,
    validateAfterIdleMs: config.DB_POOL_VALIDATE_AFTER_IDLE_MS,
    validationTimeoutMs: Math.min(1_000, config.DB_POOL_ACQUIRE_TIMEOUT_MS),
    leakDetectionMs: config.DB_POOL_LEAK_DETECTION_MS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    statementDeadlineMs: statementDeadlineFor(config),
    deadlineCheckIntervalMs: 250,
    sweepIntervalMs: 1_000
  }
  settings.sweepIntervalMs = sweepIntervalFor(settings)
  settings.deadlineCheckIntervalMs = deadlineCheckIntervalFor(settings.statementDeadlineMs)
  return settings
}

/**
 * Beyond the server's own limit, the server had its chance: its error (1969) comes first when
 * it is alive, and the client-side deadline only fires when it could not answer at all.
 */
export const DEADLINE_MARGIN_MS = 500

function statementDeadlineFor(config: Config): number {
  if (config.DB_STATEMENT_TIMEOUT_MS > 0) return config.DB_STATEMENT_TIMEOUT_MS + DEADLINE_MARGIN_MS
  return config.DB_STATEMENT_DEADLINE_MS
}

/** A tenth of the deadline, so a statement overruns it by at most that: between 20 and 250 ms. */
function deadlineCheckIntervalFor(statementDeadlineMs: number): number {
  return Math.min(250, Math.max(20, Math.floor(statementDeadlineMs / 10)))
}

/**
 * The sweeper must run often enough that an idle connection never outlives its lifetime by
 * much (a quarter of it), but at most once a second and never in a tight loop.
 */
function sweepIntervalFor(settings: Pick<GuardSettings, 'maxLifetimeMs' | 'idleTimeoutMs'>): number {
  const limits = [1_000]
  if (settings.maxLifetimeMs > 0) limits.push(settings.maxLifetimeMs / 4)
  if (settings.idleTimeoutMs > 0) limits.push(settings.idleTimeoutMs / 2)
  return Math.max(50, Math.floor(Math.min(...limits)))
}
