import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { isAdminPath, isHealthPath, pathOf } from './admin-paths'
import { buildProblem } from './send-problem'

/** How long shutdown waits for a scrape in flight on the admin port before cutting it. */
const ADMIN_CLOSE_GRACE_MS = 2_000

/**
 * The second listener of ADMIN_PORT: a plain Node server whose requests go through the same
 * Fastify router, hooks and registry as the main port's (`app.routing`), so /metrics counts
 * every request of the process and one OpenAPI document describes them. It answers only the
 * admin and health paths: anything else is a 404 here, before any hook or pool is reached.
 * `admitted` records which requests came through it, for the admin routes' own check.
 */
export class AdminServer {
  private readonly server: Server

  constructor(
    private readonly app: FastifyInstance,
    private readonly admitted: WeakSet<IncomingMessage>
  ) {
    this.server = createServer((request, response) => this.handle(request, response))
    // The main port's limits against slow or idle clients, on this port too.
    const main = app.server
    this.server.keepAliveTimeout = main.keepAliveTimeout
    this.server.requestTimeout = main.requestTimeout
    this.server.headersTimeout = main.headersTimeout
    this.server.timeout = main.timeout
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const path = pathOf(request.url ?? '/')
    if (isAdminPath(path) || isHealthPath(path)) {
      this.admitted.add(request)
      this.app.routing(request, response)
      return
    }
    const { body, headers } = buildProblem('route-not-found', `no route for ${request.method} ${path} on the admin port`, request.url ?? '')
    response.writeHead(body.status, headers).end(JSON.stringify(body))
  }

  /** Listens and returns the base URL, as Fastify logs its own. */
  async listen(port: number, host: string): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    const address = this.server.address() as AddressInfo
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address
    return `http://${hostPart}:${address.port}`
  }

  /** Stops accepting, lets requests in flight finish for a moment, then closes what is left. */
  async close(): Promise<void> {
    if (!this.server.listening) return
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeIdleConnections()
    let timer: NodeJS.Timeout | undefined
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, ADMIN_CLOSE_GRACE_MS)))
    await Promise.race([closed, grace])
    clearTimeout(timer)
    this.server.closeAllConnections()
    await closed
  }
}
