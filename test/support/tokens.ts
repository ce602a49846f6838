import { createHmac, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto'

/**
 * JWTs made here with node:crypto alone, so the tests check Lifeguard's verification against an
 * independent signer (not the library that verifies), and can forge what no library would sign.
 */
export const TEST_SECRET = 'a-test-secret-that-is-long-enough-for-hs256!'

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url')

export interface SignOptions {
  alg?: 'HS256' | 'HS384' | 'HS512' | 'RS256' | 'ES256' | 'none'
  /** HMAC secret or private key; TEST_SECRET by default. */
  key?: string | KeyObject
  kid?: string
  /** Replaces the computed signature (forgeries). */
  signature?: string
}

/** Seconds since the epoch, as JWT claims count time. */
export const nowSeconds = () => Math.floor(Date.now() / 1000)

export function signToken(claims: Record<string, unknown>, options: SignOptions = {}): string {
  const alg = options.alg ?? 'HS256'
  const header = { alg, typ: 'JWT', ...(options.kid !== undefined && { kid: options.kid }) }
  const body = { exp: nowSeconds() + 600, ...claims }
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(body))}`
  const key = options.key ?? TEST_SECRET
  let signature = ''
  if (alg.startsWith('HS')) signature = createHmac(`sha${alg.slice(2)}`, key as string).update(signingInput).digest('base64url')
  else if (alg === 'RS256') signature = createSign('RSA-SHA256').update(signingInput).sign(key as KeyObject, 'base64url')
  else if (alg === 'ES256') signature = createSign('SHA256').update(signingInput).sign({ key: key as KeyObject, dsaEncoding: 'ieee-p1363' }, 'base64url')
  return `${signingInput}.${options.signature ?? signature}`
}

/** `Authorization: Bearer <token>` for a subject with roles. */
export function bearer(subject: string | undefined, roles: string[] = [], extra: Record<string, unknown> = {}, options?: SignOptions) {
  return { authorization: `Bearer ${signToken({ ...(subject !== undefined && { sub: subject }), roles, ...extra }, options)}` }
}

export interface SigningKey {
  kid: string
  alg: 'RS256' | 'ES256'
  privateKey: KeyObject
  /** The public JWK as a JWKS lists it. */
  jwk: Record<string, unknown>
}

export function signingKey(kid: string, alg: 'RS256' | 'ES256'): SigningKey {
  const { privateKey, publicKey } =
    alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return { kid, alg, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } }
}
