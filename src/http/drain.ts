import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Socket } from 'node:net'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Starts the drain before a shutdown: no new connections, every response from now on carries
     * `Connection: close`, /health/ready answers 503; resolves once every client connection has
     * closed, or after `timeoutMs`.
     */
    drain(timeoutMs: number): Promise<{ openConnections: number }>
    readonly draining: boolean
  }
}

/** How often the drain looks whether the clients have left. */
const POLL_MS = 20

/**
 * Shutdown without resets. A server that closes an idle keep-alive socket races the client's
 * next request on it, which then sees ECONNRESET with no response. While draining, each client
 * gets its next response with `Connection: close` and the server closes that socket after the
 * response, which a client sees as a clean end; what is still open when the drain ends (idle
 * clients that sent nothing in SHUTDOWN_DRAIN_MS) is closed by app.close() as before.
 */
async function drain(app: FastifyInstance) {
  let draining = false
  const sockets = new Set<Socket>()
  app.server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  app.addHook('onSend', async (_request, reply, payload) => {
    if (draining) reply.header('connection', 'close')
    return payload
  })
  app.decorate('draining', {
    getter: () => draining
  })
  app.decorate('drain', async (timeoutMs: number) => {
    draining = true
    // Stop accepting connections, but keep the idle keep-alive ones: server.close() would close
    // them at once (Node >= 19), racing requests already on their way. app.close() later closes
    // what is left, and ignores that the server no longer listens.
    const closeIdleConnections = app.server.closeIdleConnections
    app.server.closeIdleConnections = () => {}
    app.server.close(() => {})
    try {
      const giveUpAt = Date.now() + timeoutMs
      while (sockets.size > 0 && Date.now() < giveUpAt) await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    } finally {
      app.server.closeIdleConnections = closeIdleConnections
    }
    return { openConnections: sockets.size }
  })
}

export default fp(drain, { name: 'lifeguard-drain', fastify: '5.x' })
