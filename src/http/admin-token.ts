import { createHash, timingSafeEqual } from 'node:crypto'

export type TokenVerdict = 'ok' | 'missing' | 'invalid'

/** The challenge for each refusal (RFC 6750 section 3): no credentials get none of the error codes. */
export const ADMIN_CHALLENGE: Readonly<Record<Exclude<TokenVerdict, 'ok'>, string>> = {
  missing: 'Bearer realm="lifeguard-admin"',
  invalid: 'Bearer realm="lifeguard-admin", error="invalid_token"'
}

const sha256 = (value: string) => createHash('sha256').update(value).digest()

/**
 * A check of `Authorization: Bearer <token>` against ADMIN_TOKEN. Both sides are hashed first,
 * so timingSafeEqual compares equal lengths and the time it takes tells nothing about the
 * token, not even its length.
 */
export function bearerTokenCheck(token: string): (authorization: string | undefined) => TokenVerdict {
  const expected = sha256(token)
  return (authorization) => {
    const presented = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1]
    if (presented === undefined) return 'missing'
    return timingSafeEqual(sha256(presented), expected) ? 'ok' : 'invalid'
  }
}
