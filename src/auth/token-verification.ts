import { readFileSync } from 'node:fs'
import type { FastifyJWTOptions } from '@fastify/jwt'
import type { Config } from '../config'
import { JwksKeys, type JwksLog } from './jwks-keys'

/** Signature algorithms accepted per key source; never `none`, and never HS* with a public key. */
const SHARED_SECRET_ALGORITHMS = ['HS256', 'HS384', 'HS512']
const PUBLIC_KEY_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512']

/** A key set that could not be fetched at all: the service's problem, not the token's. */
export class KeySetUnavailableError extends Error {
  readonly statusCode = 503
  readonly code = 'LG_AUTHENTICATION_UNAVAILABLE'
  constructor() {
    super('the keys that verify tokens could not be fetched; try again shortly')
    this.name = 'KeySetUnavailableError'
  }
}

/** A token whose `kid` no key of the set has (or a key that does not fit its algorithm). */
export class UnknownKeyError extends Error {
  readonly code = 'LG_UNKNOWN_SIGNING_KEY'
}

/**
 * @fastify/jwt's options from configuration: the key (a shared secret from AUTH_JWT_SECRET or
 * AUTH_JWT_SECRET_FILE, or the public keys of AUTH_JWKS_URL), the algorithms that key allows,
 * issuer, audience and clock skew. Every token must carry `exp`: one without it would be valid
 * forever.
 */
export function jwtOptions(config: Config, log: JwksLog): FastifyJWTOptions {
  const verify = {
    allowedIss: listOf(config.AUTH_JWT_ISSUER),
    allowedAud: listOf(config.AUTH_JWT_AUDIENCE),
    clockTolerance: config.AUTH_CLOCK_SKEW_MS,
    requiredClaims: ['exp'],
    // Repeated tokens are remembered by src/auth/verified-tokens.ts, in front of this verifier.
    cache: false
  }
  if (config.AUTH_JWKS_URL) {
    const keys = new JwksKeys(config.AUTH_JWKS_URL, config.AUTH_JWKS_CACHE_MS, log)
    return {
      decode: { complete: true },
      verify: { ...verify, algorithms: PUBLIC_KEY_ALGORITHMS },
      secret: async (_request: unknown, token: { header?: { kid?: unknown; alg?: unknown } }) => {
        const kid = typeof token.header?.kid === 'string' ? token.header.kid : undefined
        const alg = typeof token.header?.alg === 'string' ? token.header.alg : undefined
        const key = await keys.keyFor(kid, alg)
        if (key === 'unavailable') throw new KeySetUnavailableError()
        if (key === undefined) throw new UnknownKeyError(kid === undefined ? 'the token names no key (kid)' : `no key "${kid}" in the key set`)
        return key
      }
    } as FastifyJWTOptions
  }
  return { secret: sharedSecret(config), verify: { ...verify, algorithms: SHARED_SECRET_ALGORITHMS } } as FastifyJWTOptions
}

function sharedSecret(config: Config): string {
  if (config.AUTH_JWT_SECRET) return config.AUTH_JWT_SECRET
  // A mounted secret file usually ends with a newline the secret itself does not have.
  return readFileSync(config.AUTH_JWT_SECRET_FILE!, 'utf8').replace(/\r?\n$/, '')
}

function listOf(value: string | undefined): string[] | undefined {
  const items = value?.split(',').map((item) => item.trim()).filter(Boolean)
  return items?.length ? items : undefined
}
