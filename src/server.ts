import closeWithGrace from 'close-with-grace'
import { ConfigError, loadConfigWithWarnings, redactUrl, type Config } from './config'
import { buildApp } from './app'
import { endLog, startupLogger } from './http/logger'
import { refusePendingMigrations, runPendingMigrations } from './db/prepare-database'
import { refuseSchemaGaps } from './db/schema-check'
import { buildResourceModel, isRestEntity } from './rest/resource-model'
import { adviseIndexes } from './rest/index-advice'
import { waitForDatabase } from './db/wait-for-database'
import { checkConnectionBudget } from './db/connection-budget'
import { databaseTls } from './db/tls-options'

/** How long SIGTERM waits (drain included) for in-flight requests before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000

function readConfigOrExit(): Config {
  try {
    const { config, warnings } = loadConfigWithWarnings()
    // The TLS files are read now, so an unreadable one is refused like a typo, before any wait.
    databaseTls(config)
    // Logged now, before the database wait: a misspelt DB_ variable may be why start-up stalls.
    if (warnings.length > 0) {
      const log = startupLogger(config)
      for (const { variable, closest, message } of warnings) log.warn({ variable, closest }, message)
    }
    return config
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    // One line per invalid variable, no stack: this is an operator's typo, not a bug.
    process.stderr.write(err.message + '\n')
    process.exit(1)
  }
}

async function main() {
  const config = readConfigOrExit()
  const log = startupLogger(config)
  await waitForDatabase(config, log)
  // Before the migrations and the pool: an instance that would break the connection budget says so first.
  await checkConnectionBudget(config, log)
  // MIGRATIONS_RUN=false: migrating is a separate deploy step, so a database behind it is a refusal.
  const applied = config.MIGRATIONS_RUN ? await runPendingMigrations(config) : await refusePendingMigrations(config).then(() => [])
  const app = await buildApp(config)
  // Migrations applied is not schema matched: an entity changed without a migration would only
  // fail on its first request. Refuse now, naming what is missing, and close the pool buildApp opened.
  // Then the indexes: a sortable or filterable field no index serves scans the table on every
  // request; a warning per field, or (REST_REQUIRE_INDEXES) a refusal naming them all.
  const exposed = app.db.entityMetadatas.filter(isRestEntity)
  await refuseSchemaGaps(app.db, exposed)
    .then(() => adviseIndexes(app.db, exposed.map(buildResourceModel), { requireIndexes: config.REST_REQUIRE_INDEXES, log: app.log }))
    .catch(async (err) => {
      await app.close().catch(() => undefined)
      throw err
    })
  // Which database and pool this instance uses is the first thing an operator asks; never its password.
  app.log.info({ database: redactUrl(config.DATABASE_URL), poolSize: config.DB_POOL_SIZE }, 'database ready')
  if (applied.length > 0) app.log.info({ migrations: applied }, 'applied pending migrations')

  // SIGTERM/SIGINT: drain (stop accepting, readiness red, Connection: close to keep-alive
  // clients: src/http/drain.ts), let in-flight requests finish, then onClose hooks destroy the
  // DataSource and with it every pooled connection.
  // close-with-grace reports a grace timeout through `logger`: keep that line in pino's JSON too.
  closeWithGrace({ delay: SHUTDOWN_GRACE_MS, logger: app.log }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an uncaught error')
    else app.log.info({ signal }, 'shutting down gracefully')
    const { openConnections } = await app.drain(config.SHUTDOWN_DRAIN_MS)
    app.log.info({ openConnections }, 'drained: no new connections, keep-alive clients told to close')
    await app.close()
    app.log.info('shut down: in-flight requests finished, database pool closed')
    await endLog(app.log)
  })

  // The admin port first: one that cannot be bound is refused before any client is served.
  if (config.ADMIN_PORT !== undefined) await app.listenAdmin()
  await app.listen({ port: config.PORT, host: config.HOST })
}

main().catch((err) => {
  process.stderr.write(`Lifeguard failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
