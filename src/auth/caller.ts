/**
 * Who is asking, as authentication established it. Roles are the token's (AUTH_ROLES_CLAIM)
 * plus one pseudo-role: `authenticated` for every valid token, `anonymous` for a request with
 * none. In `@RestResource` rules, `anonymous` means "everyone, with or without a token".
 */
export interface Caller {
  /** The token's `sub`; undefined for an anonymous caller (and for a token without one). */
  subject?: string
  roles: readonly string[]
}

export const ANONYMOUS_ROLE = 'anonymous'
export const AUTHENTICATED_ROLE = 'authenticated'

/** The OpenAPI security scheme of Bearer tokens: src/http/openapi.ts declares it, routes name it. */
export const BEARER_SCHEME = 'bearerAuth'

export const ANONYMOUS: Caller = Object.freeze({ roles: Object.freeze([ANONYMOUS_ROLE]) })

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * false: authentication leaves this route's requests alone (request.caller stays null) —
     * for routes with a guard of their own (the admin surface's ADMIN_TOKEN, src/http/admin.ts),
     * whose Authorization header is not a JWT.
     */
    authentication?: boolean
  }
  interface FastifyRequest {
    /**
     * Set by src/auth/plugin.ts before routing: the caller, or null when AUTH_MODE=off (no
     * authentication, so no rule applies and every caller may do everything).
     */
    caller: Caller | null
  }
}

/** The caller a verified token names; `rolesClaim` may be dotted (`realm_access.roles`). */
export function callerOfClaims(claims: Record<string, unknown>, rolesClaim: string): Caller {
  const subject = typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : undefined
  const roles = [AUTHENTICATED_ROLE]
  for (const role of rolesIn(claimAt(claims, rolesClaim))) {
    // A token cannot make itself "anonymous": that pseudo-role is only ever the absence of a token.
    if (role !== ANONYMOUS_ROLE && !roles.includes(role)) roles.push(role)
  }
  return { subject, roles }
}

function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path]
  let value: unknown = claims
  for (const segment of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<string, unknown>)[segment]
  }
  return value
}

/** Roles as an array of strings, or one space-separated string (as OAuth's `scope`). */
function rolesIn(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter(Boolean)
  if (Array.isArray(value)) return value.filter((role): role is string => typeof role === 'string' && role !== '')
  return []
}
