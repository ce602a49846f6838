import { envSchema } from 'env-schema'
import { Type, type Static } from '@sinclair/typebox'
import { invalidCombinations } from './config-combinations'
import { productionWarnings, unknownVariableWarnings, type ConfigWarning } from './config-warnings'

/**
 * Every environment variable Lifeguard reads, written once. The TypeBox schema is
 * validated by env-schema (ajv, with type coercion) and `Static<>` is the config type.
 * Defaults are chosen for a small web service; docs/pool.md explains each pool knob.
 */
const Milliseconds = (description: string, defaultMs: number) =>
  Type.Integer({ minimum: 0, default: defaultMs, description })

export const ConfigSchema = Type.Object({
  DATABASE_URL: Type.String({
    pattern: '^(mysql|mariadb)://',
    // MariaDB is the server this service is developed and tested on; mysql:// selects TypeORM's
    // MySQL dialect, whose schema diff misreads MariaDB's nullable-column defaults.
    default: 'mariadb://root@127.0.0.1:3306/lifeguard',
    description: 'mariadb://user:password@host:port/database (or mysql://)'
  }),
  // Read replicas (issue 12, docs/ops/scaling.md): reads outside a transaction go to a healthy one.
  DATABASE_REPLICA_URLS: Type.String({
    pattern: '^(|(mysql|mariadb)://[^\\s,]+(\\s*,\\s*(mysql|mariadb)://[^\\s,]+)*)$',
    default: '',
    description:
      'mariadb://user:password@replica-host:port/database[,mariadb://...] (comma-separated; the database defaults to DATABASE_URL\'s); empty: no replicas, every statement goes to DATABASE_URL'
  }),
  DB_REPLICA_MAX_LAG_MS: Milliseconds(
    "a replica whose own Seconds_Behind_Master (whole seconds) exceeds this gets no reads until it catches up",
    5_000
  ),
  // Read-your-writes (docs/ops/scaling.md): a read carrying Lifeguard-Position waits this long at most for a replica.
  DB_REPLICA_WAIT_MS: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 100,
    description: 'longest MASTER_GTID_WAIT of a read carrying Lifeguard-Position before it goes to the primary (with DATABASE_REPLICA_URLS)'
  }),
  DB_POSITION_COOKIE: Type.String({
    pattern: '^[A-Za-z0-9_-]{0,64}$',
    default: '',
    description: "cookie name carrying a write's Lifeguard-Position back on reads (with DATABASE_REPLICA_URLS); empty: header only"
  }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'HTTP port' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'HTTP listen address' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info', description: 'pino log level' }
  ),
  DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 1000, default: 10, description: 'most connections the pool opens' }),
  DB_POOL_MAX_IDLE: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 1000, description: 'idle connections kept open (default: DB_POOL_SIZE)' })
  ),
  DB_POOL_IDLE_TIMEOUT_MS: Milliseconds('an idle connection above DB_POOL_MAX_IDLE is closed after this', 60_000),
  DB_POOL_QUEUE_LIMIT: Type.Integer({
    minimum: 0,
    default: 1000,
    description: 'requests that may wait for a connection at once (0 = unbounded)'
  }),
  DB_POOL_ACQUIRE_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: 5_000,
    description: 'longest wait for a connection before HTTP 503'
  }),
  DB_POOL_MAX_LIFETIME_MS: Milliseconds('a connection is retired after this age, when next released (0 = never)', 1_800_000),
  DB_POOL_VALIDATE_AFTER_IDLE_MS: Milliseconds('a connection idle longer than this is pinged before use', 5_000),
  DB_POOL_LEAK_DETECTION_MS: Milliseconds('warn when a connection is held longer than this (0 = off)', 0),
  // On by default since issue 9: one unbounded query used to hold a pooled connection for as long as it liked.
  DB_STATEMENT_TIMEOUT_MS: Milliseconds('server-side limit for one statement (0 = off)', 15_000),
  DB_STATEMENT_DEADLINE_MS: Milliseconds(
    'client-side limit for one statement when DB_STATEMENT_TIMEOUT_MS is off (with it on: that timeout + 500 ms); 0 = off',
    30_000
  ),
  DB_CONNECT_RETRY_MS: Milliseconds('how long start-up keeps retrying a database that does not answer (0 = try once)', 30_000),
  // Many instances on one server (docs/ops/scaling.md): off, a pool that does not fit is a warning.
  DB_POOL_BUDGET_STRICT: Type.Boolean({
    default: false,
    description:
      "refuse to start when this instance's pool does not fit under the server's max_connections (or the account's max_user_connections), given the connections open at start-up (false: warn)"
  }),
  SHUTDOWN_DRAIN_MS: Milliseconds('on SIGTERM, how long keep-alive clients get to take their last response (Connection: close) before idle sockets are closed', 3_000),
  // false is for deploys that migrate as a separate step: the app then never changes the schema,
  // and refuses to start on one it was not written for rather than failing on its first query.
  MIGRATIONS_RUN: Type.Boolean({
    default: true,
    description: 'apply pending migrations at start-up (false: refuse to start while any is pending)'
  }),
  DB_PREPARED_STATEMENTS_PER_CONNECTION: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 16_000,
      description: 'server-side prepared statements each pooled connection keeps (default: 4000 / DB_POOL_SIZE, 8..100)'
    })
  ),
  // Authentication and authorization (src/auth/, docs/security.md)
  AUTH_MODE: Type.Union([Type.Literal('off'), Type.Literal('jwt')], {
    default: 'off',
    description: 'off: no authentication, every caller may do everything; jwt: Bearer tokens, @RestResource rules enforced'
  }),
  AUTH_JWT_SECRET: Type.Optional(Type.String({ minLength: 32, description: 'HS256/384/512 shared secret, at least 32 characters' })),
  AUTH_JWT_SECRET_FILE: Type.Optional(Type.String({ minLength: 1, description: 'file holding the shared secret (as container platforms mount secrets)' })),
  AUTH_JWKS_URL: Type.Optional(Type.String({ pattern: '^https?://', description: 'JWKS URL for RS/PS/ES/EdDSA-signed tokens' })),
  AUTH_JWKS_CACHE_MS: Milliseconds('how long keys fetched from AUTH_JWKS_URL are kept before they are fetched again', 600_000),
  AUTH_JWT_ISSUER: Type.Optional(Type.String({ minLength: 1, description: 'required `iss` claim (comma-separated for several)' })),
  AUTH_JWT_AUDIENCE: Type.Optional(Type.String({ minLength: 1, description: 'required `aud` claim (comma-separated: any of them)' })),
  AUTH_CLOCK_SKEW_MS: Milliseconds('tolerance for exp/nbf/iat against this server\'s clock', 30_000),
  AUTH_ROLES_CLAIM: Type.String({
    minLength: 1,
    default: 'roles',
    description: 'claim holding the caller\'s roles: an array or a space-separated string; dotted for nested (realm_access.roles)'
  }),
  // Rate limits and the admin surface (docs/security.md): off unless set, see there for why.
  RATE_LIMIT_MAX: Type.Integer({ minimum: 0, default: 0, description: 'requests per caller per RATE_LIMIT_WINDOW_MS (0 = off)' }),
  RATE_LIMIT_WRITE_MAX: Type.Integer({
    minimum: 0,
    default: 0,
    description: 'POST/PUT/PATCH/DELETE requests per caller per RATE_LIMIT_WINDOW_MS, on top of RATE_LIMIT_MAX (0 = off)'
  }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1, default: 60_000, description: 'the fixed window both rate limit budgets count in' }),
  RATE_LIMIT_REDIS_URL: Type.Optional(
    Type.String({ pattern: '^rediss?://', description: 'redis://[user:password@]host:port[/db], so instances share one budget' })
  ),
  RATE_LIMIT_REDIS_PREFIX: Type.String({
    minLength: 1,
    default: 'lifeguard:rate-limit:',
    description: 'prefix of the rate limit counters in Redis'
  }),
  ADMIN_PORT: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 65535, description: 'serve /metrics and /docs on this port only, not on PORT (unset = on PORT)' })
  ),
  ADMIN_HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'listen address of ADMIN_PORT' }),
  ADMIN_TOKEN: Type.Optional(
    Type.String({ minLength: 1, description: '/metrics and /docs require Authorization: Bearer <this> (unset = no token)' })
  ),
  // edge: CORS, timeouts and limits against slow clients, security headers, Host check (docs/security.md)
  CORS_ORIGINS: Type.String({
    // Exact origins only: a path or trailing slash would never equal a browser's Origin, so it is refused here.
    pattern: '^(|\\*|https?://[^\\s,/]+(\\s*,\\s*https?://[^\\s,/]+)*)$',
    default: '',
    description: 'https://app.example.com[,https://other.example:8443] (exact origins, comma-separated), or * for any origin; empty: no CORS headers'
  }),
  CORS_CREDENTIALS: Type.Boolean({
    default: false,
    description: 'send Access-Control-Allow-Credentials: true (cookies, client certificates); not with CORS_ORIGINS=*'
  }),
  HTTP_CONNECTION_TIMEOUT_MS: Milliseconds('a socket with no bytes in either direction for this long is destroyed (0 = never)', 60_000),
  HTTP_HEADERS_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: 10_000,
    description: 'the request line and headers must arrive within this, else 408 (at most HTTP_REQUEST_TIMEOUT_MS)'
  }),
  HTTP_REQUEST_TIMEOUT_MS: Milliseconds('the whole request, body included, must arrive within this, else 408 (0 = never)', 30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: 72_000,
    description: 'an idle keep-alive connection is closed after this (keep it above any proxy idle timeout in front)'
  }),
  HTTP_MAX_HEADER_BYTES: Type.Integer({
    minimum: 1024,
    maximum: 1_048_576,
    default: 16_384,
    description: 'largest request line + headers, in bytes, else 431'
  }),
  HTTP_MAX_PARAM_LENGTH: Type.Integer({ minimum: 1, maximum: 10_000, default: 100, description: 'longest path parameter, else 414' }),
  HTTP_MAX_QUERY_PARAMETERS: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 100,
    description: 'most query-string parameters one request may carry, else 400'
  }),
  HTTP_MAX_CONNECTIONS: Type.Integer({
    minimum: 0,
    default: 1024,
    description: 'most open client connections per process; beyond it new sockets are closed at once (0 = no cap)'
  }),
  HTTP_SERVER_TIMING: Type.Boolean({
    default: true,
    description: 'send Server-Timing: pool;dur=<ms waiting for a connection>, db;dur=<ms in statements> on API responses'
  }),
  HSTS_MAX_AGE_SECONDS: Type.Integer({
    minimum: 0,
    default: 0,
    description: 'send Strict-Transport-Security with this max-age (0 = no HSTS header; set it when clients reach this service over HTTPS)'
  }),
  ALLOWED_HOSTS: Type.Optional(
    Type.String({
      description: 'Host header names accepted, comma-separated, ports ignored; .example.com also matches subdomains, * any (default: localhost, 127.0.0.1 and [::1] when HOST is loopback, else any)'
    })
  ),
  // Database security: the migrations account, TLS to the database, bounded list offsets (docs/security.md).
  MIGRATIONS_DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^(mysql|mariadb)://',
      description: 'the account that creates the database and runs migrations, same URL form as DATABASE_URL (default: DATABASE_URL)'
    })
  ),
  DB_SSL_CA: Type.Optional(Type.String({ minLength: 1, description: 'path of the PEM CA bundle the database certificate must chain to; setting it turns TLS on (default: no TLS)' })),
  DB_SSL_CERT: Type.Optional(Type.String({ minLength: 1, description: 'path of a PEM client certificate, for servers that require one (default: none)' })),
  DB_SSL_KEY: Type.Optional(Type.String({ minLength: 1, description: 'path of the PEM private key of DB_SSL_CERT (default: none)' })),
  DB_SSL_REJECT_UNAUTHORIZED: Type.Optional(
    Type.Boolean({ description: 'verify the database certificate and host name (default: true whenever TLS is on; set alone, it turns TLS on)' })
  ),
  REST_MAX_OFFSET: Type.Integer({
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    default: 10_000,
    description: 'largest list offset accepted; deeper pages use the cursor (0 = no bound)'
  }),
  REST_BULK_MAX: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 1_000,
    description: 'most rows one POST may create as a JSON array, and one PATCH or DELETE on a collection may touch, in one transaction'
  }),
  // Off by default: a field declared sortable or filterable without an index is slow, not wrong.
  REST_REQUIRE_INDEXES: Type.Boolean({
    default: false,
    description:
      'refuse to start when a sortable or filterable field of an exposed entity has no index starting with its column (false: one warning per field)'
  }),
  // Query cost (issue 14). Off by default: the bound judges by the optimiser's estimates, and a
  // list that works today must not start failing on an upgrade; an operator opts in with a number.
  REST_MAX_SCAN_ROWS: Type.Integer({
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    default: 0,
    description:
      'refuse (400 scan-too-large) a list whose plan, by EXPLAIN once per list shape, would read more rows than this, or an exact count that would (0 = no bound)'
  }),
  REST_COUNT_EXACT_BELOW: Type.Integer({
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    default: 10_000,
    description: 'totalCount=estimated counts exactly when the plan says counting reads fewer rows than this (and no more than REST_MAX_SCAN_ROWS when set), else sends the planned estimate'
  }),
  // A developer's tool: the plan names tables, columns and indexes. Never on in production (a warning says so).
  REST_EXPLAIN: Type.Boolean({
    default: false,
    description: 'list routes answer Accept: application/vnd.lifeguard.plan+json with the SQL and its EXPLAIN plan instead of rows (not for production)'
  }),
  IDEMPOTENCY_TTL_MS: Type.Integer({
    minimum: 1_000,
    maximum: 30 * 86_400_000,
    default: 86_400_000,
    description: 'how long an Idempotency-Key and its answer are kept and replayed, then swept'
  })
})

export type Config = Static<typeof ConfigSchema>

export class ConfigError extends Error {
  override name = 'ConfigError'
}

type EnvSource = Record<string, string | undefined>

export interface LoadedConfig {
  config: Config
  warnings: ConfigWarning[]
}

const KNOWN_VARIABLES = Object.keys(ConfigSchema.properties)
const KNOWN_VARIABLE_SET = new Set(KNOWN_VARIABLES)

/** Reads and validates config; throws a ConfigError with one line per invalid variable. */
export function loadConfig(env: EnvSource = process.env, overrides: Partial<Config> = {}): Config {
  return loadConfigWithWarnings(env, overrides).config
}

/**
 * Like loadConfig, and also returns warnings about unknown DB_/LIFEGUARD_ variables (likely
 * typos) for the caller to log: this function has no side effects and reads only `env`.
 */
export function loadConfigWithWarnings(env: EnvSource = process.env, overrides: Partial<Config> = {}): LoadedConfig {
  const data = knownVariablesSetIn(env)
  let config: Config
  try {
    // env: false, or env-schema merges process.env under `data`: a variable exported in the shell
    // then leaked into loadConfig({}) and slipped past the empty-means-unset rule.
    config = envSchema<Config>({ schema: ConfigSchema, data, env: false, dotenv: false })
  } catch (err) {
    throw new ConfigError(describeInvalidEnv(err, data))
  }
  const merged = { ...config, ...overrides }
  const combinations = invalidCombinations(merged)
  if (combinations.length > 0) throw new ConfigError(combinations.join('\n'))
  return { config: merged, warnings: [...unknownVariableWarnings(env, KNOWN_VARIABLES), ...productionWarnings(merged, env)] }
}

/** The switches: the settings whose schema is a boolean (optional ones included), as describeAccepted tells them. */
const BOOLEAN_VARIABLES = new Set(Object.entries(ConfigSchema.properties).flatMap(([key, property]) => ((property as { type?: string }).type === 'boolean' ? [key] : [])))
const BOOLEAN_WORDS: Record<string, string> = { '1': 'true', '0': 'false' }

function knownVariablesSetIn(env: EnvSource): EnvSource {
  const data: EnvSource = {}
  for (const key of KNOWN_VARIABLES) {
    // Empty strings count as unset, so `PORT= npm start` means "use the default".
    if (env[key] === undefined || env[key] === '') continue
    // A switch takes 1 and 0 as well as true and false, as operators write them in shells and compose files.
    data[key] = BOOLEAN_VARIABLES.has(key) ? (BOOLEAN_WORDS[env[key]!] ?? env[key]) : env[key]
  }
  return data
}

interface SchemaError {
  instancePath: string
  message?: string
}

/** One line per invalid variable, in schema order, so an operator fixes them all in one go. */
function describeInvalidEnv(err: unknown, data: EnvSource): string {
  const errors = (err as { errors?: SchemaError[] }).errors
  if (!errors?.length) return `Invalid configuration: ${(err as Error).message}`
  const variableOf = (error: SchemaError) => error.instancePath.replace(/^\//, '')
  // A Set, because ajv (allErrors) reports a union like LOG_LEVEL once per branch.
  const invalid = new Set(errors.map(variableOf))
  const lines = KNOWN_VARIABLES.filter((variable) => invalid.has(variable)).map((variable) =>
    describeInvalidVariable(variable, data[variable])
  )
  for (const error of errors) {
    if (!KNOWN_VARIABLE_SET.has(variableOf(error))) lines.push(`Invalid configuration: env${error.instancePath} ${error.message}`)
  }
  return [...new Set(lines)].join('\n')
}

function describeInvalidVariable(variable: string, value: string | undefined): string {
  const property = (ConfigSchema.properties as Record<string, Record<string, unknown>>)[variable]
  // DATABASE_REPLICA_URLS holds several URLs, each with its own password.
  const got = value === undefined ? '' : ` (got ${JSON.stringify(value.split(',').map(redactUrl).join(','))})`
  return `Invalid configuration: ${variable} must be ${describeAccepted(property)}${got}`
}

function describeAccepted(property: Record<string, unknown>): string {
  if (Array.isArray(property.anyOf)) {
    return 'one of ' + property.anyOf.map((choice: { const: string }) => choice.const).join(', ')
  }
  if (property.pattern) return `a URL like ${property.description}`
  if (property.type === 'boolean') return `true or false (1 or 0) — ${property.description}`
  const bounds = []
  if (property.minimum !== undefined) bounds.push(`>= ${property.minimum}`)
  if (property.maximum !== undefined) bounds.push(`<= ${property.maximum}`)
  const kind = property.type === 'integer' ? 'an integer' : `a ${property.type}`
  return [kind, bounds.join(' and ')].filter(Boolean).join(' ') + ` — ${property.description}`
}

/**
 * A DATABASE_URL with its password replaced, safe for logs and error messages. The password
 * runs from the first ':' after the user name to the LAST '@' (as WHATWG URL parsing reads
 * userinfo), so a raw '@', ':' or '/' in it, or a percent-encoded one, is hidden whole.
 * An '@' later in the URL (path, query) only makes it hide more, never less.
 */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[\s\S]*@/i, '$1***@')
}
