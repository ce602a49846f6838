import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'
import type { FastifyInstance, RouteOptions } from 'fastify'
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

/**
 * Security headers on every response, JSON and /docs alike (@fastify/helmet): a CSP, nosniff,
 * frame denial, no Referer, same-origin resource and opener policies. Strict-Transport-Security
 * only when HSTS_MAX_AGE_SECONDS is set: the service usually sits behind a proxy that
 * terminates TLS and owns that decision, and HSTS sent over a plain-HTTP hop is ignored anyway
 * (or, on a name that is later served over HTTP, locks clients out for max-age).
 */
async function securityHeaders(app: FastifyInstance, { config }: { config: Config }) {
  // Added before @fastify/helmet's own onRoute hook, which turns a route's `helmet` into its
  // per-route policy, and before @fastify/swagger-ui adds its routes (openapi.ts registers later).
  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.helmet === undefined && (route.url === DOCS_PREFIX || route.url.startsWith(`${DOCS_PREFIX}/`))) {
      route.helmet = { contentSecurityPolicy: { useDefaults: false, directives: DOCS_CSP_DIRECTIVES } }
    }
  })
  const maxAge = config.HSTS_MAX_AGE_SECONDS
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP_DIRECTIVES },
    frameguard: { action: 'deny' },
    // No includeSubDomains or preload: those bind every other service under the domain too.
    hsts: maxAge > 0 ? { maxAge, includeSubDomains: false } : false
  })
}

export default fp(securityHeaders, { name: 'lifeguard-security-headers', fastify: '5.x' })
