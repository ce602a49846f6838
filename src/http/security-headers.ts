import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'
import type { FastifyInstance, onRequestHookHandler, RouteOptions } from 'fastify'
import type { Config } from '../config'

/** Where @fastify/swagger-ui serves its page, assets and document (src/http/openapi.ts). */
export const DOCS_PREFIX = '/docs'

/**
 * The API answers JSON, never a page: nothing it sends may load, run or frame anything. Should a
 * browser be tricked into rendering a response (a stored string opened as HTML), it runs nothing.
 */
export const API_CSP_DIRECTIVES = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"]
}

/**
 * Swagger UI at /docs: its scripts and styles are files under /docs/static (no inline script:
 * the initializer is a file too), it fetches /docs/json from the same origin, and its icons are
 * data: URIs. Its bundle also inserts one <style> element at run time, hence 'unsafe-inline' for
 * styles only (a hash would break on the next swagger-ui-dist release; a style cannot run
 * script). No `upgrade-insecure-requests`: behind a plain-HTTP hop (a laptop, a sidecar) it
 * would send the page's own requests to an https:// nobody serves.
 */
export const DOCS_CSP_DIRECTIVES = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'", 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"]
}

/** Helmet's options: everything but the CSP is the same for the API and for /docs. */
function helmetOptions(directives: Record<string, string[]>, hstsMaxAge: number): HelmetOptions {
  return {
    contentSecurityPolicy: { useDefaults: false, directives },
    frameguard: { action: 'deny' },
    // No includeSubDomains or preload: those bind every other service under the domain too.
    strictTransportSecurity: hstsMaxAge > 0 ? { maxAge: hstsMaxAge, includeSubDomains: false } : false
  }
}

/**
 * The headers helmet sets for `options`, computed once: helmet's middleware run against a
 * stand-in response that records them. Its output depends on the options alone, not on the
 * request, so each response then gets a copy of one object instead of helmet re-parsing the
 * CSP directives and re-deriving every header per request (~20% of get-by-id's throughput).
 */
export function helmetHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()]
  }
  let done = false
  helmet(options)({} as never, recorder as never, (err?: unknown) => {
    if (err) throw err
    done = true
  })
  // helmet's middleware is synchronous; a future version that is not would be caught here, at start-up.
  if (!done) throw new Error('helmet did not finish synchronously: security headers cannot be precomputed')
  return Object.freeze(headers)
}

/**
 * What a JSON response needs of helmet's set: its CSP and nosniff (plus HSTS when configured).
 * The rest of the set governs documents — framing (the CSP's frame-ancestors covers it), the
 * Referer of a page's links, window openers, agent clusters, DNS prefetch, the old XSS auditor,
 * Flash policies, embedding (browsers' ORB already refuses nosniff JSON to no-cors embeds) — and
 * a JSON response is never a document. Each header costs every response its bytes and Node's
 * serialisation: the full set of eleven doubled a get-by-id answer and cost ~15% of its
 * throughput (docs/bench/README.md "After issue 9").
 */
const API_HEADERS = new Set(['content-security-policy', 'x-content-type-options', 'strict-transport-security'])

/**
 * Security headers on every response: the JSON API gets a CSP that allows nothing and nosniff,
 * /docs (an HTML page) helmet's full set under its own CSP. Strict-Transport-Security only when
 * HSTS_MAX_AGE_SECONDS is set: the service usually sits behind a proxy that terminates TLS and
 * owns that decision, and HSTS sent over a plain-HTTP hop is ignored anyway (or, on a name that
 * is later served over HTTP, locks clients out for max-age). Set in onRequest, so refusals of
 * later hooks (421, 429, 401) carry them too.
 */
async function securityHeaders(app: FastifyInstance, { config }: { config: Config }) {
  const helmetApi = helmetHeaders(helmetOptions(API_CSP_DIRECTIVES, config.HSTS_MAX_AGE_SECONDS))
  const api = Object.freeze(Object.fromEntries(Object.entries(helmetApi).filter(([name]) => API_HEADERS.has(name))))
  const docs = helmetHeaders(helmetOptions(DOCS_CSP_DIRECTIVES, config.HSTS_MAX_AGE_SECONDS))
  app.addHook('onRequest', function setSecurityHeaders(_request, reply, done) {
    reply.headers(api)
    done()
  })
  // Swagger UI's page, assets and document get its own CSP: a route hook runs after the global one.
  // Added before @fastify/swagger-ui adds its routes (openapi.ts registers later).
  const setDocsHeaders: onRequestHookHandler = (_request, reply, done) => {
    reply.headers(docs)
    done()
  }
  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.url !== DOCS_PREFIX && !route.url.startsWith(`${DOCS_PREFIX}/`)) return
    const hooks = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
    route.onRequest = [...hooks, setDocsHeaders]
  })
}

export default fp(securityHeaders, { name: 'lifeguard-security-headers', fastify: '5.x' })
