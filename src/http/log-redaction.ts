import pino from 'pino'

/**
 * What the log must never carry from a failed statement: the bound values and SQL with
 * values filled in. TypeORM's QueryFailedError keeps `parameters` and `query`; mysql2 errors
 * keep `sql` (for `query()`, with every value formatted in) and a `sqlMessage` that quotes
 * the offending value ("Duplicate entry 'alice@example.com' for key 'UQ_users_email'").
 * Codes, errno, sqlState and the key, column and constraint names stay: they are what an
 * operator needs, and they are schema, not data.
 */

/** Dropped wherever they appear in a serialised error (also inside driverError, cause…). */
const VALUE_CARRYING_KEYS = new Set([
  'parameters', // TypeORM QueryFailedError: the bound values
  'query', // TypeORM: the statement, which raw `app.db.query()` callers may have spliced values into
  'sql', // mysql2: the statement, with values formatted in for query()
  'values', // mysql2 options objects
  'rawPacket' // Node's clientError: the raw request bytes, Authorization header included
])

/** Message-like fields whose quoted parts are masked when the error comes from the driver. */
const MESSAGE_KEYS = new Set(['message', 'sqlMessage', 'stack'])

/** A quoted name right after one of these words is schema, not data, and is kept. */
const NAME_BEFORE_QUOTE = /\b(?:column|key|field|constraint|table|index|database|type)\s*$/i
const NAME = /^[\w$.-]{1,128}$/

/**
 * Replaces the quoted literals of a driver message with '?', keeping quoted names after
 * "column", "key", "field", "constraint"… and `backquoted` identifiers. Servers quote values
 * without escaping ('O'Brien' comes out as is), so the templates that quote a value are
 * matched greedily up to the text that follows the value, and whatever quotes remain are
 * masked as one span from the first to the last, leaving no fragment of a value behind.
 */
export function maskLiterals(text: string): string {
  let masked = text
    .replace(/(Duplicate entry )'[\s\S]*'( for key ')/, "$1'?'$2")
    .replace(/(value: )'[\s\S]*'( for column )/, "$1'?'$2")
    .replace(/(value: )'[\s\S]*'(\s*(?:\n|$))/, "$1'?'$2")
    .replace(/( near )'[\s\S]*'( at line \d+)/, "$1'?'$2")

  // Apostrophes inside words ("doesn't") are English, not quotes: set them aside too.
  masked = masked.replace(/(?<=\p{L})'(?=\p{L})/gu, '\u0001')
  // Set the names aside, mask what is left, put the names back.
  const names: string[] = []
  masked = masked.replace(/(['"])([^'"]*)\1/g, (quoted, _quote: string, inner: string, offset: number, whole: string) => {
    if (inner === '?' || (NAME.test(inner) && NAME_BEFORE_QUOTE.test(whole.slice(Math.max(0, offset - 20), offset)))) {
      names.push(quoted)
      return `\u0000${names.length - 1}\u0000`
    }
    return quoted
  })
  const first = masked.search(/['"]/)
  if (first >= 0) {
    const last = Math.max(masked.lastIndexOf("'"), masked.lastIndexOf('"'))
    masked = masked.slice(0, first) + "'?'" + masked.slice(last + 1)
  }
  return masked.replace(/\u0000(\d+)\u0000/g, (_, index: string) => names[Number(index)]).replace(/\u0001/g, "'")
}

/** A MySQL/MariaDB error, raw or wrapped: those are the ones whose messages quote values. */
function isDriverError(err: Record<string, unknown>, depth = 0): boolean {
  if (typeof err.sqlState === 'string' || typeof err.sqlMessage === 'string' || typeof err.errno === 'number') return true
  if (err.type === 'QueryFailedError' || err.name === 'QueryFailedError') return true
  if (depth >= 3) return false
  return [err.driverError, err.cause].some((inner) => isObject(inner) && isDriverError(inner, depth + 1))
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function scrub(value: Record<string, unknown>, maskMessages: boolean, depth: number): Record<string, unknown> {
  const clean: Record<string, unknown> = {}
  for (const key of Object.keys(value)) {
    if (VALUE_CARRYING_KEYS.has(key)) continue
    const field = value[key]
    if (maskMessages && MESSAGE_KEYS.has(key) && typeof field === 'string') clean[key] = maskLiterals(field)
    else if (isObject(field) && depth < 4) {
      clean[key] = Array.isArray(field)
        ? field.map((item) => (isObject(item) ? scrub(item, maskMessages || isDriverError(item), depth + 1) : item))
        : scrub(field, maskMessages || isDriverError(field), depth + 1)
    } else clean[key] = field
  }
  return clean
}

export interface SerializedError {
  [key: string]: unknown
  type: string
  message: string
  stack: string
}

/** pino's `err` serializer, then scrubbed: no values, no SQL, driver messages masked. */
export function serializeError(err: Error): SerializedError {
  const serialized = pino.stdSerializers.err(err) as unknown
  if (!isObject(serialized)) return serialized as SerializedError
  const raw = isObject(err) ? (err as unknown as Record<string, unknown>) : serialized
  return scrub(serialized, isDriverError(raw) || isDriverError(serialized), 0) as SerializedError
}
