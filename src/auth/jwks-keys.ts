import { createPublicKey, type JsonWebKey } from 'node:crypto'

/** How long one fetch of the key set may take. */
const FETCH_TIMEOUT_MS = 5_000
/**
 * A token naming a key we do not hold makes us fetch the set again (that is how a rotated-in
 * key is picked up), but at most this often (or every `ttlMs`, if shorter): otherwise every
 * forged `kid` would be a request to the identity provider.
 */
const UNKNOWN_KEY_REFETCH_MS = 10_000

export interface JwksLog {
  warn(details: object, message: string): void
}

/**
 * The public keys of a JWKS URL, by `kid`, as PEM for fast-jwt. Written here rather than with
 * get-jwks because its cache keeps a hung fetch's promise (its timeout option is not one
 * `fetch` reads) and refetches for every unknown `kid`. Here: one fetch at a time with its own
 * timeout, the set refreshed after `ttlMs`, the last good set kept while the provider fails
 * (logged), and unknown keys refetched at most every 10 s (or `ttlMs`). The URL comes from configuration
 * only, never from a token's `iss` or `jku`.
 */
export class JwksKeys {
  private keys = new Map<string, { pem: string; alg?: string }>()
  private fetchedAt = 0
  private lastAttemptAt = 0
  private inFlight: Promise<void> | undefined

  constructor(
    private readonly url: string,
    private readonly ttlMs: number,
    private readonly log: JwksLog
  ) {}

  /**
   * The PEM key for a token's header; undefined when no key of the set fits it, 'unavailable'
   * when the set has never been fetched (the provider is down: not the token's fault).
   */
  async keyFor(kid: string | undefined, alg: string | undefined): Promise<string | undefined | 'unavailable'> {
    const now = Date.now()
    if (now - this.fetchedAt > this.ttlMs) await this.refresh()
    let key = this.find(kid, alg)
    if (key === undefined && Date.now() - this.lastAttemptAt > Math.min(UNKNOWN_KEY_REFETCH_MS, this.ttlMs)) {
      await this.refresh()
      key = this.find(kid, alg)
    }
    if (key === undefined && this.fetchedAt === 0) return 'unavailable'
    return key
  }

  private find(kid: string | undefined, alg: string | undefined): string | undefined {
    const key = kid === undefined ? (this.keys.size === 1 ? [...this.keys.values()][0] : undefined) : this.keys.get(kid)
    if (key === undefined || (key.alg !== undefined && alg !== undefined && key.alg !== alg)) return undefined
    return key.pem
  }

  private refresh(): Promise<void> {
    this.inFlight ??= this.fetchKeys().finally(() => (this.inFlight = undefined))
    return this.inFlight
  }

  private async fetchKeys(): Promise<void> {
    this.lastAttemptAt = Date.now()
    try {
      const response = await fetch(this.url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      const body = (await response.json()) as { keys?: unknown }
      if (!Array.isArray(body.keys)) throw new Error('the answer has no "keys" array')
      this.keys = keysOf(body.keys as JsonWebKey[])
      this.fetchedAt = Date.now()
    } catch (err) {
      // Tokens signed with keys we already hold keep working while the provider is down.
      this.log.warn({ jwksUrl: this.url, reason: (err as Error).message, keptKeys: this.keys.size }, 'could not fetch the JWKS key set')
    }
  }
}

function keysOf(jwks: JsonWebKey[]): Map<string, { pem: string; alg?: string }> {
  const keys = new Map<string, { pem: string; alg?: string }>()
  for (const [index, jwk] of jwks.entries()) {
    // Only signature keys with public material; a key we cannot read is skipped, not fatal.
    if ((jwk.use !== undefined && jwk.use !== 'sig') || jwk.d !== undefined) continue
    try {
      const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString()
      keys.set(typeof jwk.kid === 'string' ? jwk.kid : `#${index}`, { pem, alg: typeof jwk.alg === 'string' ? jwk.alg : undefined })
    } catch {
      continue
    }
  }
  return keys
}
