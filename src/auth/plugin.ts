import fp from 'fastify-plugin'
import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Config } from '../config'
import { isLoopbackHost } from '../listen-address'
import { ANONYMOUS, callerOfClaims } from './caller'
import { AuthenticationError } from './errors'
import { jwtOptions, KeySetUnavailableError } from './token-verification'
import { VerifiedTokens } from './verified-tokens'

export interface AuthenticationOptions {
  config: Config
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Whether callers are authenticated (AUTH_MODE=jwt) and `@RestResource` rules enforced. */
    authenticationEnforced: boolean
  }
}

/**
 * Authentication: `request.caller` for every request, before routing. AUTH_MODE=off leaves it
 * null (no rule applies). AUTH_MODE=jwt reads `Authorization: Bearer <token>`: no header is the
 * anonymous caller, a token that does not verify is a 401 whatever the route (never a silent
 * downgrade to anonymous), a valid one names the subject and roles. What a caller may do is
 * decided per route from the entity's rules (src/rest/access.ts).
 */
async function authentication(app: FastifyInstance, { config }: AuthenticationOptions) {
  app.decorateRequest('caller', null)
  // What a route's access hook decided (src/rest/access.ts); declared here, on the root, so every
  // route — generated or hand-written — shares one request shape.
  app.decorateRequest('grant', null)
  app.decorate('authenticationEnforced', config.AUTH_MODE === 'jwt')
  if (config.AUTH_MODE === 'off') {
    if (!isLoopbackHost(config.HOST)) {
      app.log.warn(
        { host: config.HOST, authMode: 'off' },
        'AUTHENTICATION IS OFF on a non-loopback address: anyone who can reach this port can read, change and delete every row. Set AUTH_MODE=jwt (docs/security.md).'
      )
    }
    return
  }
  await app.register(fastifyJwt, jwtOptions(config, app.log))
  const rolesClaim = config.AUTH_ROLES_CLAIM
  const verified = new VerifiedTokens(config.AUTH_CLOCK_SKEW_MS)
  // A callback hook: a repeated token is answered from `verified` without a promise per request.
  app.addHook('onRequest', function authenticate(request: FastifyRequest, _reply, done) {
    if (request.routeOptions.config.authentication === false) return done()
    const header = request.headers.authorization
    if (header === undefined) {
      request.caller = ANONYMOUS
      return done()
    }
    if (!BEARER.test(header)) {
      return done(new AuthenticationError('the Authorization header must be "Bearer <token>"', 'invalid_request'))
    }
    const token = header.slice(7)
    const known = verified.get(token)
    if (known !== undefined) {
      request.caller = known
      return done()
    }
    request.jwtVerify().then(
      (payload) => {
        // The verified claims: `decode.complete` (JWKS) shapes only what the key lookup sees.
        const claims = payload as Record<string, unknown>
        request.caller = callerOfClaims(claims, rolesClaim)
        verified.remember(token, request.caller, claims)
        done()
      },
      (err: unknown) => done(err instanceof KeySetUnavailableError ? err : new AuthenticationError(tokenRefusal(err as { code?: string }), 'invalid_token'))
    )
  })
}

/** `Bearer <token>`, case-blind in the scheme (RFC 9110 11.1), exactly one space, no empty token. */
const BEARER = /^Bearer [^ ]+$/i

/** What was wrong with the token, in words of our own: fast-jwt's messages may change and say too much. */
function tokenRefusal(err: { code?: string }): string {
  switch (err.code) {
    case 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED':
      return 'the token has expired'
    case 'FAST_JWT_MISSING_SIGNATURE':
      return 'the token is not signed'
    case 'FST_JWT_BAD_REQUEST':
    case 'FAST_JWT_MALFORMED':
      return 'the token is malformed'
    case 'FAST_JWT_INACTIVE':
      return 'the token is not valid yet'
    case 'FAST_JWT_INVALID_ALGORITHM':
      return 'the token is signed with an algorithm this service does not accept'
    case 'LG_UNKNOWN_SIGNING_KEY':
      return 'no key of the key set verifies this token'
    default:
      return 'the token could not be verified (signature, issuer, audience or required claims)'
  }
}

export default fp(authentication, { name: 'lifeguard-authentication', fastify: '5.x' })
