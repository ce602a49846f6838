import type { Caller } from './caller'

/** Distinct tokens remembered; past this the cache starts over (a flood of fresh tokens cannot grow it). */
const MAX_REMEMBERED = 10_000
/** The longest a verification is trusted without being redone, whatever the token's `exp`. */
const MAX_REMEMBERED_MS = 600_000

/**
 * Callers of tokens verified recently, by token text. A client sends the same token on every
 * request until it expires; verifying it again (decode, signature or cache hash, claims) is the
 * largest cost authentication adds to a fast route. A remembered caller is used only until the
 * token's own `exp` (plus the clock skew) and at most 10 minutes after it was verified, so a
 * JWKS key the provider withdrew stops verifying within that time. Only successes are kept.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, { caller: Caller; until: number }>()

  constructor(private readonly clockSkewMs: number) {}

  get(token: string, now = Date.now()): Caller | undefined {
    const entry = this.entries.get(token)
    if (entry === undefined) return undefined
    if (now < entry.until) return entry.caller
    this.entries.delete(token)
    return undefined
  }

  remember(token: string, caller: Caller, claims: Record<string, unknown>, now = Date.now()): void {
    const exp = typeof claims.exp === 'number' ? claims.exp * 1000 + this.clockSkewMs : now
    const until = Math.min(exp, now + MAX_REMEMBERED_MS)
    if (until <= now) return
    if (this.entries.size >= MAX_REMEMBERED) this.entries.clear()
    this.entries.set(token, { caller, until })
  }
}
