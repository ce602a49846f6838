import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { DataSource, type EntitySchema, type MixedList } from 'typeorm'
import type { Config } from '../config'
import { dataSourceOptions } from './data-source-options'
import { PoolGuard } from '../pool/pool-guard'
import { guardSettingsFromConfig } from '../pool/guard-settings'

declare module 'fastify' {
  interface FastifyInstance {
    /** The one DataSource of this app; its pool is shared by every plugin and route. */
    db: DataSource
    /** The guard around that pool: stats() for health and metrics, events for histograms. */
    poolGuard: PoolGuard
  }
}

export interface DbPluginOptions {
  config: Config
  entities?: MixedList<Function | string | EntitySchema>
  /** TypeORM subscriber classes; the REST routes give them entity and query events too. */
  subscribers?: Function[]
}

/**
 * Creates the app's pool guard and DataSource from config, shares them as `app.poolGuard`
 * and `app.db`, and destroys the DataSource (so the pool) on close. The guard is per app:
 * tests build many apps in one process.
 */
async function dbPlugin(app: FastifyInstance, { config, entities, subscribers }: DbPluginOptions) {
  if (app.hasDecorator('db')) throw new Error('the db plugin is registered twice')
  const poolGuard = new PoolGuard(guardSettingsFromConfig(config), app.log.child({ component: 'pool' }))
  const dataSource = new DataSource(dataSourceOptions(config, { entities, subscribers, driver: poolGuard.driver() }))
  await dataSource.initialize()
  app.addHook('onClose', async () => {
    await dataSource.destroy()
  })
  app.decorate('db', dataSource)
  app.decorate('poolGuard', poolGuard)
}

export default fp(dbPlugin, { name: 'lifeguard-db', fastify: '5.x' })
