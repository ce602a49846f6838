import type { Config } from '../config'
import { CONNECTION_ERROR_CODES, errorCodeOf } from '../pool/connection-errors'
import { parseDatabaseUrl } from './data-source-options'
import { ensureDatabase, migrationsConfig } from './prepare-database'

export interface StartupLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

/** The first retry comes soon (a server restarting with us); later ones back off to this. */
const FIRST_DELAY_MS = 200
const MAX_DELAY_MS = 2_000

/**
 * Failures that waiting can cure: the server is not up (yet), is starting or shutting down, or
 * its name does not resolve yet (a container network coming up). mysql2 marks a refused login
 * `fatal` too, which is why the code decides here, not that flag.
 */
function isWorthWaitingFor(code: string): boolean {
  return CONNECTION_ERROR_CODES.has(code) || code === 'ENOTFOUND' || code === 'EAI_AGAIN'
}

/** The database could not be reached within DB_CONNECT_RETRY_MS; the message is the one line an operator reads. */
export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError'
}

/**
 * Start-up waits for the database instead of exiting at the first refused connection: an
 * instance and its database often start together (a deploy, a host reboot). It retries with
 * bounded backoff for DB_CONNECT_RETRY_MS, logging each attempt with the host and port, then
 * gives up with one line naming them. Only a database that does not answer is waited for;
 * a refusal that waiting cannot fix (wrong password, no privilege) fails at once. It ends with
 * the configured database created if it was missing (ensureDatabase).
 */
export async function waitForDatabase(
  config: Config,
  log: StartupLog,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
): Promise<void> {
  // The first connection is the migrations account's (it may create the database): name its server.
  const { host, port } = parseDatabaseUrl(migrationsConfig(config).DATABASE_URL)
  const where = `${host}:${port}`
  const giveUpAt = Date.now() + config.DB_CONNECT_RETRY_MS
  for (let attempt = 1, delay = FIRST_DELAY_MS; ; attempt++, delay = Math.min(MAX_DELAY_MS, delay * 2)) {
    try {
      await ensureDatabase(config)
      if (attempt > 1) log.info({ database: where, attempts: attempt }, 'the database answers')
      return
    } catch (err) {
      const code = errorCodeOf(err)
      if (isTlsFailure(code)) throw new DatabaseUnreachableError(tlsFailureLine(config, where, err))
      if (!isWorthWaitingFor(code)) throw new DatabaseUnreachableError(`the database at ${where} refused the connection: ${reasonOf(err)}`)
      const left = giveUpAt - Date.now()
      if (left <= 0) {
        throw new DatabaseUnreachableError(
          `the database at ${where} did not answer within DB_CONNECT_RETRY_MS (${config.DB_CONNECT_RETRY_MS} ms, ${attempt} attempts): ${code}`
        )
      }
      log.warn({ database: where, attempt, code, retryInMs: Math.min(delay, left) }, `waiting for the database at ${where}`)
      await sleep(Math.min(delay, left))
    }
  }
}

function reasonOf(err: unknown): string {
  const { code, sqlMessage, message } = err as { code?: string; sqlMessage?: string; message?: string }
  return [code, sqlMessage ?? message].filter(Boolean).join(' ')
}

/**
 * A certificate Node refused (unknown CA, wrong host name, expired), a handshake that failed,
 * or a server without TLS. Waiting cures none of these, and the operator's fix is a DB_SSL_*
 * variable, so the line says TLS rather than "refused". (MariaDB answers a plaintext login to a
 * server with require_secure_transport as a plain access denied: that one cannot be told apart.)
 */
function isTlsFailure(code: string): boolean {
  return /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)
}

function tlsFailureLine(config: Config, where: string, err: unknown): string {
  const hint =
    config.DB_SSL_CA !== undefined
      ? `check that DB_SSL_CA (${config.DB_SSL_CA}) is the CA that signed the server's certificate, and that the certificate names ${where.replace(/:\d+$/, '')}`
      : 'no DB_SSL_CA is set, so the server certificate must chain to a public root CA'
  return `TLS to the database at ${where} failed: ${reasonOf(err)}; ${hint}`
}
