import 'reflect-metadata'
import { DataSource } from 'typeorm'
import { ConfigError, loadConfigWithWarnings, type Config } from './src/config'
import { dataSourceOptions } from './src/db/data-source-options'

/**
 * The TypeORM CLI loads this file with require and reports anything it throws as
 * "Unable to open file ormconfig.ts" plus a stack, burying an operator's typo. So a config
 * error is printed as the same lines server.ts prints, and the CLI exits 1 before it starts.
 */
function readConfigOrExit(): Config {
  try {
    const { config, warnings } = loadConfigWithWarnings()
    for (const warning of warnings) process.stderr.write(warning.message + '\n')
    return config
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(err.message + '\n')
    process.exit(1)
  }
}

/**
 * The DataSource for the TypeORM CLI (`npm run migration:*`). Built by the same options
 * function as the app and never initialised here: the CLI does that itself.
 */
export default new DataSource(dataSourceOptions(readConfigOrExit()))
