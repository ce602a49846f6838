import 'reflect-metadata'
import { DataSource } from 'typeorm'
import { loadConfig } from './src/config'
import { dataSourceOptions } from './src/db/data-source-options'

/**
 * The DataSource for the TypeORM CLI (`npm run migration:*`). Built by the same options
 * function as the app and never initialised here: the CLI does that itself.
 */
export default new DataSource(dataSourceOptions(loadConfig()))
