import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { IncomingMessage } from 'node:http'
import type { Config } from '../config'
import { isAdminPath, pathOf } from './admin-paths'
import { AdminServer } from './admin-server'
import { ADMIN_CHALLENGE, bearerTokenCheck } from './admin-token'
import { sendProblem } from './send-problem'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * With ADMIN_PORT: starts the admin listener (server.ts calls it; tests may) and returns its
     * base URL; it is closed by app.close(). Without ADMIN_PORT it refuses.
     */
    listenAdmin(): Promise<string>
  }
}

export interface AdminOptions {
  config: Pick<Config, 'ADMIN_PORT' | 'ADMIN_HOST' | 'ADMIN_TOKEN'>
}

/**
 * The admin surface (src/http/admin-paths.ts): with ADMIN_PORT it is served on that port only
 * (the main port answers 404 for it), with ADMIN_TOKEN it needs `Authorization: Bearer`. The
 * check is a route hook on the admin routes alone, so API routes pay nothing for it. Registered
 * before the metrics and OpenAPI plugins, whose routes it must see being added.
 */
async function admin(app: FastifyInstance, { config }: AdminOptions) {
  if (app.hasDecorator('listenAdmin')) throw new Error('the admin plugin is registered twice')
  const separatePort = config.ADMIN_PORT !== undefined
  const admitted = new WeakSet<IncomingMessage>()
  const checkToken = config.ADMIN_TOKEN === undefined ? undefined : bearerTokenCheck(config.ADMIN_TOKEN)

  if (separatePort || checkToken) {
    const guardAdminRoute = async (request: FastifyRequest, reply: FastifyReply) => {
      if (separatePort && !admitted.has(request.raw)) {
        // The not-found handler's own answer: the main port does not say the path exists elsewhere.
        return sendProblem(reply, 'route-not-found', `no route for ${request.method} ${pathOf(request.url)}`)
      }
      const verdict = checkToken?.(request.headers.authorization)
      if (verdict === 'missing' || verdict === 'invalid') {
        const detail = verdict === 'missing' ? 'this endpoint needs Authorization: Bearer <ADMIN_TOKEN>' : 'the bearer token is not the admin token'
        return sendProblem(reply, 'unauthorized', detail, { challenge: ADMIN_CHALLENGE[verdict] })
      }
    }
    app.addHook('onRoute', (route) => {
      if (!isAdminPath(route.url)) return
      const hooks = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
      route.onRequest = [guardAdminRoute, ...hooks]
      // Its Authorization header carries ADMIN_TOKEN, not a JWT: authentication must not judge it.
      route.config = { ...route.config, authentication: false }
    })
  }

  let server: AdminServer | undefined
  app.decorate('listenAdmin', async () => {
    if (config.ADMIN_PORT === undefined) throw new Error('listenAdmin needs ADMIN_PORT')
    if (server) throw new Error('the admin server is already listening')
    server = new AdminServer(app, admitted)
    const url = await server.listen(config.ADMIN_PORT, config.ADMIN_HOST)
    app.log.info({ url }, `Admin server listening at ${url}`)
    return url
  })
  // preClose, not onClose: a scrape or readiness check in flight on the admin port must finish
  // before the pool is destroyed.
  app.addHook('preClose', async () => {
    await server?.close()
  })
}

export default fp(admin, { name: 'lifeguard-admin', fastify: '5.x' })
