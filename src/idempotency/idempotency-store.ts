import { createHash } from 'node:crypto'
import type { Statement } from '../db/pooled-query'
import { driverErrorOf } from '../db/driver-error'

/** Runs one statement on the request transaction's connection (request.txExecute). */
type TransactionRunner = <Row = Record<string, unknown>>(statement: Statement, values: unknown[]) => Promise<Row[]>

/** A key's stored answer: what the first request with it was answered, to replay. */
export interface StoredAnswer {
  status: number
  headers: Record<string, string>
  body: Buffer | null
}

/** What a claim found: the key is new (or expired) and now held by this request, or it answers an earlier one. */
export type Claim =
  | { kind: 'claimed' }
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'other-request' }
  | { kind: 'in-progress' }

const TABLE = '`lifeguard_idempotency_keys`'
const CLAIM = `INSERT INTO ${TABLE} (scope, idempotency_key, fingerprint, created_at) VALUES (?, ?, ?, CURRENT_TIMESTAMP(3))`
// A shared lock, like the one the failed INSERT's duplicate check already holds: repeats waiting
// together all read the answer; an exclusive one would deadlock them against each other.
const FIND = `SELECT fingerprint, status, headers, body, created_at < CURRENT_TIMESTAMP(3) - INTERVAL ? MICROSECOND AS expired FROM ${TABLE} WHERE scope = ? AND idempotency_key = ? LOCK IN SHARE MODE`
const RECLAIM = `UPDATE ${TABLE} SET fingerprint = ?, status = NULL, headers = NULL, body = NULL, created_at = CURRENT_TIMESTAMP(3) WHERE scope = ? AND idempotency_key = ?`
const STORE = `UPDATE ${TABLE} SET status = ?, headers = ?, body = ? WHERE scope = ? AND idempotency_key = ?`
const SWEEP = `DELETE FROM ${TABLE} WHERE created_at < CURRENT_TIMESTAMP(3) - INTERVAL ? MICROSECOND LIMIT 1000`

/** One key of one caller on one route. */
export interface KeyRef {
  scope: Buffer
  key: string
}

/** A route and caller as the 32 bytes a key is stored under: the same key on another route or of another caller is another key. */
export function scopeOf(method: string, route: string, caller: string): Buffer {
  return createHash('sha256').update(`${method} ${route} ${caller}`).digest()
}

/** What makes two requests with one key the same request: the URL and the body. */
export function fingerprintOf(url: string, body: unknown): Buffer {
  return createHash('sha256').update(url).update('\n').update(body === undefined ? '' : JSON.stringify(body)).digest()
}

/**
 * The table of Idempotency-Keys (migrations/*-idempotency-keys.ts), always through the request
 * transaction, so a key and the change it answers commit together or not at all. A claim
 * INSERTs the key's row: a second request with the same key waits on that row's lock until
 * the first commits (then finds its answer) or rolls back (then claims it itself), so two
 * requests with one key never both run, on one instance or many.
 */
export class IdempotencyStore {
  constructor(private readonly ttlMs: number) {}

  async claim(run: TransactionRunner, ref: KeyRef, fingerprint: Buffer, attempt = 0): Promise<Claim> {
    try {
      await run(CLAIM, [ref.scope, ref.key, fingerprint])
      return { kind: 'claimed' }
    } catch (err) {
      if (driverErrorOf(err)?.errno !== 1062) throw err
    }
    const [row] = await run<{ fingerprint: Buffer; status: number | null; headers: string | null; body: Buffer | null; expired: number }>(FIND, [
      this.ttlMs * 1000,
      ref.scope,
      ref.key
    ])
    // Deleted between the INSERT and the SELECT (the sweep): the next try claims it.
    if (row === undefined) return attempt < 2 ? this.claim(run, ref, fingerprint, attempt + 1) : { kind: 'in-progress' }
    if (Number(row.expired) === 1) {
      await run(RECLAIM, [fingerprint, ref.scope, ref.key])
      return { kind: 'claimed' }
    }
    if (!row.fingerprint.equals(fingerprint)) return { kind: 'other-request' }
    // Committed without an answer cannot happen (the answer is stored before the commit); said plainly if it ever does.
    if (row.status === null) return { kind: 'in-progress' }
    return { kind: 'replay', answer: { status: row.status, headers: JSON.parse(row.headers ?? '{}'), body: row.body } }
  }

  /** Stores the answer of the request that claimed the key, before its transaction commits. */
  async store(run: TransactionRunner, ref: KeyRef, answer: StoredAnswer): Promise<void> {
    await run(STORE, [answer.status, JSON.stringify(answer.headers), answer.body, ref.scope, ref.key])
  }

  /** Deletes up to 1000 expired keys; returns how many. */
  async sweep(run: (statement: Statement, values: unknown[]) => Promise<unknown>): Promise<number> {
    const result = (await run(SWEEP, [this.ttlMs * 1000])) as { affectedRows?: number }
    return result.affectedRows ?? 0
  }
}
