/**
 * What every new connection sets on its session before anyone else's statement runs:
 * - time_zone '+00:00', so what CURRENT_TIMESTAMP writes, how a TIMESTAMP is read and how a
 *   bound date-time text is compared all agree with the UTC values the REST layer binds, on a
 *   server whose own zone is not UTC;
 * - the server-side statement timeout, when configured.
 * One statement, so a new connection costs one round trip for all of it.
 */
export function sessionSetupSql(statementTimeoutMs: number, mariaDb: boolean): string {
  const settings = ["time_zone = '+00:00'"]
  if (statementTimeoutMs > 0) {
    settings.push(
      mariaDb
        ? `max_statement_time = ${statementTimeoutMs / 1000}` // seconds, fractional
        : `max_execution_time = ${Math.round(statementTimeoutMs)}` // milliseconds, SELECT only
    )
  }
  return `SET SESSION ${settings.join(', ')}`
}
