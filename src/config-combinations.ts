import { readFileSync } from 'node:fs'
import { redactUrl, type Config } from './config'

/**
 * The checks env-schema cannot express: variables valid one by one that do not work together,
 * or whose value must be looked at beyond its type (a URL's parameters, a secret file's content).
 * loadConfig reports these with the schema's own one-line-per-variable errors.
 */
/** Variables that are each valid but do not work together; one line each, like the schema's. */
export function invalidCombinations(config: Config): string[] {
  return [...databaseUrlProblems(config), ...authenticationProblems(config)]
}

function authenticationProblems(config: Config): string[] {
  const lines: string[] = []
  if (config.AUTH_MODE === 'jwt') {
    const keySources = (['AUTH_JWT_SECRET', 'AUTH_JWT_SECRET_FILE', 'AUTH_JWKS_URL'] as const).filter((name) => config[name] !== undefined)
    if (keySources.length !== 1) {
      lines.push(
        `Invalid configuration: AUTH_MODE=jwt needs exactly one of AUTH_JWT_SECRET, AUTH_JWT_SECRET_FILE, AUTH_JWKS_URL (got ${keySources.join(', ') || 'none'})`
      )
    }
    if (config.AUTH_JWT_SECRET_FILE !== undefined) {
      const problem = secretFileProblem(config.AUTH_JWT_SECRET_FILE)
      if (problem) lines.push(`Invalid configuration: AUTH_JWT_SECRET_FILE ${problem}`)
    }
  }
  return lines
}

/** Why the secret file cannot serve (unreadable, or too short a secret); its content is never echoed. */
function secretFileProblem(file: string): string | undefined {
  let secret: string
  try {
    secret = readFileSync(file, 'utf8').replace(/\r?\n$/, '')
  } catch (err) {
    return `cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (${file})`
  }
  return secret.length < 32 ? `must hold a secret of at least 32 characters (${file})` : undefined
}

/**
 * Lifeguard honours no query parameter of a database URL: each would be a second spelling of an
 * option it already has (DB_SSL_*, the pool variables) or one it does not pass on, and an ignored
 * `?ssl=true` left connections in plaintext. So every parameter is refused, by name, never value.
 * The migrations account must also name the database the app uses (or none: the same one).
 */
function databaseUrlProblems(config: Config): string[] {
  const problems: string[] = []
  const urls: Array<[string, string | undefined]> = [
    ['DATABASE_URL', config.DATABASE_URL],
    ['MIGRATIONS_DATABASE_URL', config.MIGRATIONS_DATABASE_URL],
    ...replicaUrls(config).map((url, index): [string, string] => [`DATABASE_REPLICA_URLS[${index}]`, url])
  ]
  for (const [variable, url] of urls) {
    if (url === undefined) continue
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      problems.push(`Invalid configuration: ${variable} is not a URL (got ${JSON.stringify(redactUrl(url))})`)
      continue
    }
    for (const name of new Set(parsed.searchParams.keys())) {
      const instead = /^ssl/i.test(name) ? 'set DB_SSL_CA, DB_SSL_CERT, DB_SSL_KEY or DB_SSL_REJECT_UNAUTHORIZED for TLS' : 'remove it'
      problems.push(`Invalid configuration: ${variable} has the query parameter "${name.slice(0, 50)}", which Lifeguard does not honour; ${instead}`)
    }
  }
  if (config.MIGRATIONS_DATABASE_URL !== undefined && problems.length === 0) {
    const appDatabase = databaseNameOf(config.DATABASE_URL) || 'lifeguard'
    const migrationsDatabase = databaseNameOf(config.MIGRATIONS_DATABASE_URL)
    if (migrationsDatabase !== '' && migrationsDatabase !== appDatabase) {
      problems.push(
        `Invalid configuration: MIGRATIONS_DATABASE_URL names database "${migrationsDatabase}" but DATABASE_URL names "${appDatabase}"; ` +
          'name the same one, or none'
      )
    }
  }
  if (problems.length === 0) {
    const appDatabase = databaseNameOf(config.DATABASE_URL) || 'lifeguard'
    replicaUrls(config).forEach((url, index) => {
      const replicaDatabase = databaseNameOf(url)
      if (replicaDatabase !== '' && replicaDatabase !== appDatabase) {
        problems.push(
          `Invalid configuration: DATABASE_REPLICA_URLS[${index}] names database "${replicaDatabase}" but DATABASE_URL names "${appDatabase}"; ` +
            'a replica holds a copy of the same one: name it, or none'
        )
      }
    })
  }
  return problems
}

/** DATABASE_REPLICA_URLS split at its commas (the schema's pattern has checked the form). */
export function replicaUrls(config: Pick<Config, 'DATABASE_REPLICA_URLS'>): string[] {
  return config.DATABASE_REPLICA_URLS.split(',').map((url) => url.trim()).filter((url) => url !== '')
}

function databaseNameOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''))
}
