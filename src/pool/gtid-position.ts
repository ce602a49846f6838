/**
 * A MariaDB GTID position (`domain-server-seq`, comma-separated, one per replication domain),
 * as `@@gtid_binlog_pos`, `@@last_gtid` and `@@gtid_slave_pos` print it, reduced to what a
 * "has the replica applied it?" question needs: the highest sequence number per domain.
 * MariaDB numbers a domain's transactions in one sequence whatever server wrote them (strict
 * mode keeps it monotonic), so the server_id is not compared: a replica at 0-1-9 has 0-2-7.
 * Pure: each rule has a test without a server (test/pool/gtid-position.test.ts).
 */
export type GtidPosition = ReadonlyMap<number, bigint>

/** A client-sent position longer than this is refused before parsing: 16 domains fit easily. */
export const MAX_POSITION_TEXT = 512

/** One GTID: 32-bit domain and server ids, a 64-bit sequence number. */
const GTID = /^(\d{1,10})-(\d{1,10})-(\d{1,20})$/
const UINT32_MAX = 4294967295n
const UINT64_MAX = 18446744073709551615n

/** The position in `text`, or undefined when it is not a well-formed GTID list (an empty text is an empty position). */
export function parseGtidPosition(text: string): GtidPosition | undefined {
  if (text.length > MAX_POSITION_TEXT) return undefined
  const position = new Map<number, bigint>()
  const trimmed = text.trim()
  if (trimmed === '') return position
  for (const part of trimmed.split(',')) {
    const match = GTID.exec(part.trim())
    if (!match) return undefined
    const [domain, server, seq] = [BigInt(match[1]), BigInt(match[2]), BigInt(match[3])]
    if (domain > UINT32_MAX || server > UINT32_MAX || seq > UINT64_MAX) return undefined
    // A domain given twice is not something MariaDB prints: refused rather than guessed.
    if (position.has(Number(domain))) return undefined
    position.set(Number(domain), seq)
  }
  return position
}

/** Whether `applied` has every transaction up to `wanted` in each of wanted's domains. */
export function covers(applied: GtidPosition, wanted: GtidPosition): boolean {
  for (const [domain, seq] of wanted) {
    const have = applied.get(domain)
    if (have === undefined || have < seq) return false
  }
  return true
}

/** The per-domain maximum of both: what is known applied once either was. */
export function merged(a: GtidPosition, b: GtidPosition): GtidPosition {
  const out = new Map(a)
  for (const [domain, seq] of b) {
    const have = out.get(domain)
    if (have === undefined || have < seq) out.set(domain, seq)
  }
  return out
}
