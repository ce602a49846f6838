import type { Config } from '../config'
import { CONNECTIONS_BESIDE_POOL } from '../pool/pool-guard'
import { serverConnection } from './server-connection'
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
  /** DB_POOL_SIZE + the pool guard's own connections (CONNECTIONS_BESIDE_POOL). */
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
export async function readConnectionBudget(config: Config): Promise<ConnectionBudget> {
  const connection = await serverConnection(config)
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
      need: config.DB_POOL_SIZE + CONNECTIONS_BESIDE_POOL,
      poolSize: config.DB_POOL_SIZE
    }
  } finally {
    await connection.end()
  }
}

/** One line per limit the pool would break (none when it fits), each naming the numbers and the fix. */
export function budgetProblems(budget: ConnectionBudget): string[] {
  const { maxConnections, connected, maxUserConnections, userConnected, need, poolSize } = budget
  const needs = `this instance's pool needs ${need} (DB_POOL_SIZE ${poolSize} + ${CONNECTIONS_BESIDE_POOL} of the pool guard's own)`
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
  return problems
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
