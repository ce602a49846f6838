import 'reflect-metadata'
import { DataSource } from 'typeorm'
import { ConfigError, loadConfigWithWarnings, type Config } from './src/config'
import { dataSourceOptions } from './src/db/data-source-options'
import { migrationsConfig } from './src/db/prepare-database'
import { databaseTls } from './src/db/tls-options'
import { DatabaseUnreachableError, waitForDatabase, type StartupLog } from './src/db/wait-for-database'

/**
 * The TypeORM CLI loads this file with require and reports anything it throws as
 * "Unable to open file ormconfig.ts" plus a stack, burying an operator's typo. So a config
 * error is printed as the same lines server.ts prints, and the CLI exits 1 before it starts.
 */
function readConfigOrExit(): Config {
  try {
    const { config, warnings } = loadConfigWithWarnings()
    // The TLS files are read now, so an unreadable one is refused like a typo, before any wait.
    databaseTls(config)
    for (const warning of warnings) process.stderr.write(warning.message + '\n')
    return config
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(err.message + '\n')
    process.exit(1)
  }
}

/** The CLI's own output is plain lines, so the wait's attempts are too (on stderr, beside its errors). */
const cliLog: StartupLog = {
  info: (_fields, message) => process.stderr.write(message + '\n'),
  warn: (_fields, message) => process.stderr.write(message + '\n')
}

/**
 * The DataSource for the TypeORM CLI (`npm run migration:*`), built by the same options
 * function as the app, with MIGRATIONS_DATABASE_URL's account when set. Like `npm start`, it
 * first waits for the server (DB_CONNECT_RETRY_MS) and creates the database when it is
 * missing; a refusal is one line and exit 1. The CLI awaits an exported promise, and
 * initialises the DataSource itself.
 */
async function cliDataSource(): Promise<DataSource> {
  const config = readConfigOrExit()
  try {
    await waitForDatabase(config, cliLog)
  } catch (err) {
    if (!(err instanceof DatabaseUnreachableError)) throw err
    process.stderr.write(err.message + '\n')
    process.exit(1)
  }
  // The CLI changes the schema: it runs as the migrations account, like start-up's migrations.
  return new DataSource(dataSourceOptions(migrationsConfig(config)))
}

export default cliDataSource()
