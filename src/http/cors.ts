import fp from 'fastify-plugin'
import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import { ConfigError, type Config } from '../config'

/** Every method an entity or hand-written route has; OPTIONS is the preflight itself. */
export const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']

/** Request headers a browser client may send cross-origin beyond the CORS-safelisted ones. */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match', 'Prefer', 'Idempotency-Key', 'Lifeguard-Position']

/**
 * Response headers a cross-origin script may read: without this list it sees only the
 * safelisted ones (Content-Type, Cache-Control, ...), so paging (Link, X-Total-Count and how it was counted, Preference-Applied),
 * concurrency (ETag), created rows (Location) and backing off (Retry-After, the rate limiter's
 * draft-spec RateLimit-*) would be invisible to it.
 */
export const CORS_EXPOSED_HEADERS = [
  'ETag',
  // Read-your-writes: a write's position, which the client sends back on its reads (src/http/read-your-writes.ts).
  'Lifeguard-Position',
  'Link',
  'Location',
  'X-Total-Count',
  'Preference-Applied',
  'Retry-After',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'RateLimit-Policy'
]

/**
 * Seconds a browser may reuse a preflight answer. Chromium caps it at 7200 and Firefox at 86400;
 * 10 minutes spares most preflights yet lets a narrowed CORS_ORIGINS take effect soon.
 */
export const CORS_MAX_AGE_SECONDS = 600

/** The origins CORS_ORIGINS allows, normalised as a browser serialises Origin; `'*'` for any. */
export function parseCorsOrigins(text: string): string[] | '*' {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
  if (entries.length === 1 && entries[0] === '*') return '*'
  // The schema's pattern has already refused paths and other schemes; URL lower-cases the host
  // and drops a default port, as the browser does in the Origin it sends.
  return [...new Set(entries.map((entry) => new URL(entry).origin))]
}

/**
 * CORS for browser clients on other origins (@fastify/cors), only when CORS_ORIGINS is set:
 * without it no CORS header is ever sent, so browsers keep the same-origin policy.
 *
 * The origin is decided per request: an allowed Origin is echoed, any other gets no CORS
 * header at all, preflight or not (with a plain list @fastify/cors still sends Allow-Methods,
 * Allow-Headers and Max-Age to an origin it refuses). Preflights are answered in onRequest,
 * before the Host check, rate limits or authentication: a browser sends them without
 * credentials, so anything that looked at the caller would refuse every one.
 */
async function corsPlugin(app: FastifyInstance, { config }: { config: Config }) {
  const origins = parseCorsOrigins(config.CORS_ORIGINS)
  if (origins !== '*' && origins.length === 0) return
  if (origins === '*' && config.CORS_CREDENTIALS) {
    // Browsers refuse `*` with credentials, and echoing every origin instead would hand any
    // site on the web the caller's cookies: the two together are a configuration mistake.
    throw new ConfigError('Invalid configuration: CORS_ORIGINS=* cannot be combined with CORS_CREDENTIALS=true; list the origins')
  }
  const allowed = new Set(origins === '*' ? [] : origins)
  await app.register(cors, {
    origin:
      origins === '*'
        ? '*'
        : (origin: string | undefined, callback: (err: Error | null, allow: string | false) => void) =>
            callback(null, origin !== undefined && allowed.has(origin) ? origin : false),
    credentials: config.CORS_CREDENTIALS,
    methods: CORS_METHODS,
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: CORS_MAX_AGE_SECONDS,
    // Strict mode answers an OPTIONS without Access-Control-Request-Method with a text/plain 400,
    // the one error here that would not be problem+json; a preflight answer to it harms nobody.
    strictPreflight: false
  })
}

export default fp(corsPlugin, { name: 'lifeguard-cors', fastify: '5.x' })
