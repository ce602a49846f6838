import { readFileSync } from 'node:fs'
import { ConfigError, type Config } from '../config'

/** mysql2's `ssl` option: Node's tls.connect options, PEM text rather than paths. */
export interface DatabaseTls {
  ca?: string
  cert?: string
  key?: string
  rejectUnauthorized: boolean
}

const FILE_VARIABLES = ['DB_SSL_CA', 'DB_SSL_CERT', 'DB_SSL_KEY'] as const

/** True when any DB_SSL_* variable is set: then every connection to the database is TLS. */
export function tlsRequested(config: Config): boolean {
  return FILE_VARIABLES.some((variable) => config[variable] !== undefined) || config.DB_SSL_REJECT_UNAUTHORIZED !== undefined
}

/**
 * The TLS options for every connection Lifeguard opens to the database (pool, statement killer,
 * health check, migrations, CLI), or undefined for plaintext. The files are read here, at
 * start-up; an unreadable one is a ConfigError naming the variable and path, never its content.
 * Verification is on unless explicitly turned off: without a CA, Node's own roots are used.
 */
export function databaseTls(config: Config): DatabaseTls | undefined {
  if (!tlsRequested(config)) return undefined
  if ((config.DB_SSL_CERT === undefined) !== (config.DB_SSL_KEY === undefined)) {
    throw new ConfigError('Invalid configuration: DB_SSL_CERT and DB_SSL_KEY go together; set both or neither')
  }
  const tls: DatabaseTls = { rejectUnauthorized: config.DB_SSL_REJECT_UNAUTHORIZED ?? true }
  if (config.DB_SSL_CA !== undefined) tls.ca = readPem('DB_SSL_CA', config.DB_SSL_CA)
  if (config.DB_SSL_CERT !== undefined) tls.cert = readPem('DB_SSL_CERT', config.DB_SSL_CERT)
  if (config.DB_SSL_KEY !== undefined) tls.key = readPem('DB_SSL_KEY', config.DB_SSL_KEY)
  return tls
}

function readPem(variable: string, file: string): string {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${variable} names ${JSON.stringify(file)}, which cannot be read (${(err as { code?: string }).code ?? 'error'})`)
  }
  // A path to the wrong file (a DER certificate, an empty one) would only fail at the handshake, far from its cause.
  if (!text.includes('-----BEGIN ')) {
    throw new ConfigError(`Invalid configuration: ${variable} names ${JSON.stringify(file)}, which is not a PEM file`)
  }
  return text
}
