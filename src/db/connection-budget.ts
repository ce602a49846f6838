import type { Config } from '../config'
import { CONNECTIONS_BESIDE_POOL } from '../pool/pool-guard'
import { serverConnection } from './server-connection'
import { replicaTargets, type DatabaseTarget } from './data-source-options'
import type { StartupLog } from './wait-for-database'

/**
 * What the server allows and what is open already, as this instance's account sees it at
 * start-up, next to what this instance's pool will need. Counts exclude the check's own
 * connection. docs/ops/scaling.md gives the arithmetic.
 */
export interface ConnectionBudget {
  /** `@@max_connections`. MariaDB admits one CONNECTION ADMIN (SUPER) connection beyond it: the admins' reserve. */
  maxConnections: number
  /** `Threads_connected`: every client's connections open now, other instances' pools included. */
  connected: number
  /** The account's `max_user_connections` (its own MAX_USER_CONNECTIONS, else the global); 0 = no limit. */
  maxUserConnections: number
  /** Connections open now under this account's user name. */
  userConnected: number
  /** DB_POOL_SIZE + the pool guard's own connections (CONNECTIONS_BESIDE_POOL), + the probe's on a replica. */
  need: number
  poolSize: number
}

/** The budget does not fit and DB_POOL_BUDGET_STRICT is on; the message is the one line an operator reads. */
export class ConnectionBudgetError extends Error {
  override name = 'ConnectionBudgetError'
}

/**
 * Reads the budget on a short-lived connection of the app's own account: the pool logs in as
 * that account, and max_user_connections is counted per account. Nothing here needs a privilege:
 * server variables and global status are readable by anyone, and the process list shows an
 * account without PROCESS its own threads (with PROCESS, every thread: hence the filter).
 */
export async function readConnectionBudget(config: Config, replica?: DatabaseTarget): Promise<ConnectionBudget> {
  const connection = await serverConnection(config, replica)
  try {
    // The session value of max_user_connections is the account's own limit when it has one.
    const [[limits]] = (await connection.query(
      `SELECT @@max_connections AS maxConnections, @@max_user_connections AS maxUserConnections,
        (SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = SUBSTRING_INDEX(CURRENT_USER(), '@', 1)) AS userConnected`
    )) as unknown as [[Record<string, number | string>]]
    const [[status]] = (await connection.query("SHOW GLOBAL STATUS LIKE 'Threads_connected'")) as unknown as [[{ Value: string }]]
    return {
      maxConnections: Number(limits.maxConnections),
      // Minus this check's own connection, which closes before the pool opens any.
      connected: Number(status.Value) - 1,
      maxUserConnections: Number(limits.maxUserConnections),
      userConnected: Number(limits.userConnected) - 1,
      need: config.DB_POOL_SIZE + CONNECTIONS_BESIDE_POOL + (replica ? CONNECTIONS_PER_REPLICA_PROBE : 0),
      poolSize: config.DB_POOL_SIZE
    }
  } finally {
    await connection.end()
  }
}

/** A replica's health probe keeps one connection of its own, outside the pool (src/pool/replica-health.ts). */
export const CONNECTIONS_PER_REPLICA_PROBE = 1

/**
 * One line per limit the pool would break (none when it fits), each naming the numbers and the
 * fix; `replica`: the node's name (host:port), for a replica's budget.
 */
export function budgetProblems(budget: ConnectionBudget, replica?: string): string[] {
  const { maxConnections, connected, maxUserConnections, userConnected, need, poolSize } = budget
  const beside = replica ? `${need - poolSize} of the pool guard's own and the replica probe's` : `${need - poolSize} of the pool guard's own`
  const needs = `this instance's pool needs ${need} (DB_POOL_SIZE ${poolSize} + ${beside})`
  const problems: string[] = []
  if (need > maxConnections - connected) {
    problems.push(
      `the connection budget does not fit: max_connections is ${maxConnections}, ${connected} already connected, ${needs}; ` +
        'lower DB_POOL_SIZE, run fewer instances or raise max_connections (docs/ops/scaling.md)'
    )
  }
  if (maxUserConnections > 0 && need > maxUserConnections - userConnected) {
    problems.push(
      `the account's connection limit does not fit: max_user_connections is ${maxUserConnections}, ${userConnected} already connected as this user, ${needs}; ` +
        "lower DB_POOL_SIZE, run fewer instances or raise the account's MAX_USER_CONNECTIONS (docs/ops/scaling.md)"
    )
  }
  return replica ? problems.map((problem) => `replica ${replica}: ${problem}`) : problems
}

/**
 * The start-up check for many instances on one server: does this instance's pool, full, still
 * fit under what the server allows, given the connections open now? It cannot see pools of
 * other instances that have not grown yet (mysql2 opens connections on demand), so it is a
 * floor, not a guarantee; docs/ops/scaling.md has the arithmetic that is. Not fitting is one
 * warning line per limit, or a ConnectionBudgetError with DB_POOL_BUDGET_STRICT. A budget that
 * cannot be read is a warning too (a proxy in front may not answer), and a refusal when strict.
 */
export async function checkConnectionBudget(config: Config, log: StartupLog): Promise<ConnectionBudget | undefined> {
  const primary = await checkPrimaryBudget(config, log)
  for (const replica of replicaTargets(config)) await checkReplicaBudget(config, replica, log)
  return primary
}

/**
 * Each replica's budget, read as the replica's own account (its pool logs in as that one):
 * the same pool per instance as the primary's, plus its probe's connection. A replica that
 * cannot be read is a warning even when strict: the app starts without a replica (it gets
 * no reads until its probe finds it), so a replica down at start-up must not stop it.
 */
async function checkReplicaBudget(config: Config, replica: DatabaseTarget, log: StartupLog): Promise<void> {
  const node = `${replica.host}:${replica.port}`
  let budget: ConnectionBudget
  try {
    budget = await readConnectionBudget(config, replica)
  } catch (err) {
    const reason = (err as { code?: string; message?: string }).code ?? (err as Error).message
    log.warn({ node, reason }, 'could not read a replica\'s connection budget; not checked')
    return
  }
  const problems = budgetProblems(budget, node)
  if (problems.length === 0) return log.info({ node, ...budget }, 'connection budget: the replica pool fits')
  if (config.DB_POOL_BUDGET_STRICT) throw new ConnectionBudgetError(problems.join('; also ') + ' (DB_POOL_BUDGET_STRICT is on)')
  for (const problem of problems) log.warn({ node, ...budget }, problem)
}

async function checkPrimaryBudget(config: Config, log: StartupLog): Promise<ConnectionBudget | undefined> {
  let budget: ConnectionBudget
  try {
    budget = await readConnectionBudget(config)
  } catch (err) {
    const reason = (err as { code?: string; message?: string }).code ?? (err as Error).message
    if (config.DB_POOL_BUDGET_STRICT) throw new ConnectionBudgetError(`could not read the connection budget (DB_POOL_BUDGET_STRICT is on): ${reason}`)
    log.warn({ reason }, 'could not read the connection budget; not checked')
    return undefined
  }
  const problems = budgetProblems(budget)
  if (problems.length === 0) {
    log.info({ ...budget }, 'connection budget: the pool fits')
    return budget
  }
  if (config.DB_POOL_BUDGET_STRICT) throw new ConnectionBudgetError(problems.join('; also ') + ' (DB_POOL_BUDGET_STRICT is on)')
  for (const problem of problems) log.warn({ ...budget }, problem)
  return budget
}
