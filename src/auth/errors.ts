/**
 * The two refusals of authentication and authorization. src/http/error-problems.ts maps them
 * to the `unauthorized` and `forbidden` problems; `challenge` becomes WWW-Authenticate
 * (RFC 6750 section 3), which tells a client whether to send a token or a better one.
 */
export class AuthenticationError extends Error {
  readonly statusCode = 401
  readonly code = 'LG_UNAUTHENTICATED'
  readonly challenge: string
  constructor(message: string, tokenProblem?: 'invalid_token' | 'invalid_request') {
    super(message)
    this.name = 'AuthenticationError'
    // The description is our own fixed text (never the token), so quoting it is safe.
    this.challenge = tokenProblem
      ? `Bearer realm="lifeguard", error="${tokenProblem}", error_description="${message.replace(/["\\]/g, '')}"`
      : 'Bearer realm="lifeguard"'
  }
}

export class AccessDeniedError extends Error {
  readonly statusCode = 403
  readonly code = 'LG_FORBIDDEN'
  constructor(message: string) {
    super(message)
    this.name = 'AccessDeniedError'
  }
}
