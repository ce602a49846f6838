import type { PoolConnection } from 'mysql2'
import type { ConnectionState } from './connection-state'
import type { GuardSettings } from './guard-settings'
import { isGone, lastActiveTime } from './mysql2-internals'

/**
 * Which idle connections the sweeper closes, and why: dead ones, ones past their max
 * lifetime, and — while more than maxIdle are idle — ones idle longer than idleTimeoutMs.
 * mysql2's own sweeper only runs when maxIdle < connectionLimit and knows nothing of age.
 */
export function idleToRetire(
  idle: PoolConnection[],
  states: WeakMap<PoolConnection, ConnectionState>,
  settings: Pick<GuardSettings, 'maxIdle' | 'idleTimeoutMs'>,
  now: number
): Array<[PoolConnection, string]> {
  const retire: Array<[PoolConnection, string]> = []
  let remaining = idle.length
  for (const connection of idle) {
    const state = states.get(connection)
    if (!state) continue
    let reason: string | undefined
    if (isGone(connection)) reason = 'connection_lost'
    else if (now >= state.retireAt) reason = 'max_lifetime'
    else if (remaining > settings.maxIdle && now - lastActiveTime(connection) > settings.idleTimeoutMs) reason = 'idle_timeout'
    if (!reason) continue
    retire.push([connection, reason])
    remaining--
  }
  return retire
}
