import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, onSendHookHandler } from 'fastify'
import { clusterOf } from '../db/pooled-query'
import { primaryPosition } from '../db/primary-position'
import { parseGtidPosition, MAX_POSITION_TEXT } from '../pool/gtid-position'
import { hookList } from '../route-hooks'
import { BadRequestError } from './errors'

/** The header a write answers with and a read sends back (CORS allows and exposes it: cors.ts). */
export const POSITION_HEADER = 'lifeguard-position'

/** Long enough for a position to be read back after the write, short enough not to linger. */
const COOKIE_MAX_AGE_SECONDS = 300

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export interface ReadYourWritesOptions {
  /** DB_POSITION_COOKIE: the cookie that carries the position too; empty: the header only. */
  cookie: string
}

/**
 * Read-your-writes with replicas (docs/ops/scaling.md "Read replicas"): every successful write
 * answers with the primary's GTID position after its commit (`Lifeguard-Position`, and the
 * cookie when configured); a GET or HEAD that sends it back is served by a replica that has
 * applied it — known from its probes or earlier waits, or after a bounded MASTER_GTID_WAIT —
 * else by the primary (src/pool/read-router.ts). A read without it may be stale up to the lag
 * bound. Without DATABASE_REPLICA_URLS nothing is registered: no header, no work.
 *
 * The request reaches the pool layer as the borrower the primary guard already attributes its
 * borrows to (client-abort.ts), so the router keys the position by it and imports no HTTP.
 * Register after the transaction scope (its onSend commits a success that bypassed the handler
 * wrapper; this one must come after it) and before the routes.
 */
async function readYourWrites(app: FastifyInstance, { cookie }: ReadYourWritesOptions) {
  const router = clusterOf(app.db)?.router
  if (!router) return

  const requirePosition: onRequestHookHandler = async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return
    const sent = positionSent(request, cookie)
    if (sent === undefined) return
    const position = parseGtidPosition(sent.text)
    if (!position) {
      // A cookie is ours and may be stale or mangled: dropped, it costs only read-your-writes.
      if (sent.from === 'cookie') return
      throw new BadRequestError(`${POSITION_HEADER} must be a GTID list (domain-server-seq, comma-separated, at most ${MAX_POSITION_TEXT} characters)`)
    }
    if (position.size === 0) return
    router.requirePosition(request, { text: sent.text.trim(), position })
    // 'close' comes for every response, finished or aborted: the router counts positions in flight.
    reply.raw.once('close', () => router.releasePosition(request))
  }
  app.addHook('onRequest', requirePosition)

  const stampPosition: onSendHookHandler = async (request, reply, payload) => {
    if (reply.statusCode < 200 || reply.statusCode >= 300) return payload
    // Read on the request transaction's connection after its COMMIT; else the primary's position now.
    const position = request.committedPosition || (await primaryPosition(app.db))
    if (position) setPosition(request, reply, position, cookie)
    return payload
  }
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (!methods.some((method) => WRITE_METHODS.has(method))) return
    route.onSend = [...hookList(route.onSend), stampPosition]
  })
}

function positionSent(request: FastifyRequest, cookie: string): { text: string; from: 'header' | 'cookie' } | undefined {
  const header = request.headers[POSITION_HEADER]
  if (header !== undefined) return { text: Array.isArray(header) ? header.join(',') : header, from: 'header' }
  if (!cookie || !request.headers.cookie) return undefined
  const text = cookieValue(request.headers.cookie, cookie)
  return text === undefined ? undefined : { text, from: 'cookie' }
}

/** One cookie's value from a Cookie header (RFC 6265 pairs); no cookie dependency for one name. */
function cookieValue(header: string, name: string): string | undefined {
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=')
    if (at < 0 || pair.slice(0, at).trim() !== name) continue
    try {
      return decodeURIComponent(pair.slice(at + 1).trim())
    } catch {
      return ''
    }
  }
  return undefined
}

/**
 * The cookie is HttpOnly (a script reads the header; the cookie is for the browser to send
 * back), SameSite=Lax (sent on same-site requests and top-level navigations, not on others'
 * subrequests: it only says how fresh a read must be, but nothing needs it cross-site), Secure
 * on HTTPS; the comma of a multi-domain list is percent-encoded (not a cookie character).
 */
function setPosition(request: FastifyRequest, reply: FastifyReply, position: string, cookie: string): void {
  reply.header(POSITION_HEADER, position)
  if (!cookie) return
  const secure = request.protocol === 'https' ? '; Secure' : ''
  reply.header('set-cookie', `${cookie}=${encodeURIComponent(position)}; Path=/; Max-Age=${COOKIE_MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax${secure}`)
}

export default fp(readYourWrites, {
  name: 'lifeguard-read-your-writes',
  fastify: '5.x',
  dependencies: ['lifeguard-db', 'lifeguard-transaction-scope']
})
