import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { DataSource, type EntitySchema, type MixedList } from 'typeorm'
import type { Config } from '../config'
import { dataSourceOptions } from './data-source-options'

declare module 'fastify' {
  interface FastifyInstance {
    /** The one DataSource of this app; its pool is shared by every plugin and route. */
    db: DataSource
  }
}

export interface DbPluginOptions {
  config: Config
  entities?: MixedList<Function | string | EntitySchema>
}

/** Creates the app's DataSource from config, shares it as `app.db`, destroys it on close. */
async function dbPlugin(app: FastifyInstance, { config, entities }: DbPluginOptions) {
  if (app.hasDecorator('db')) throw new Error('the db plugin is registered twice')
  const dataSource = new DataSource(dataSourceOptions(config, { entities }))
  await dataSource.initialize()
  app.addHook('onClose', async () => {
    await dataSource.destroy()
  })
  app.decorate('db', dataSource)
}

export default fp(dbPlugin, { name: 'lifeguard-db', fastify: '5.x' })
