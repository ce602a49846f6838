import { NO_OPS, unicodeProblem, type ColumnCodec } from './codec'

/** TypeORM's simple-json lives in a TEXT column. */
const SIMPLE_JSON_BYTES = 65_535
/** MariaDB's JSON is a LONGTEXT; bodies are far smaller anyway (BODY_LIMIT_BYTES). */
const JSON_BYTES = 4_294_967_295

/**
 * JSON (MariaDB: LONGTEXT with a JSON_VALID check) and TypeORM's simple-json (JSON text in a
 * TEXT column): any JSON document. Stored as JSON text and parsed on the way out; mysql2 is
 * asked for JSON as text (jsonStrings), because it would otherwise parse MariaDB's JSON
 * columns only when the server sends extended metadata, and a parsed `"abc"` cannot be told
 * from the text `abc`. Neither filterable (but for isNull) nor sortable.
 */
export function documentCodec(kind: 'json' | 'simple-json'): ColumnCodec {
  const maxBytes = kind === 'json' ? JSON_BYTES : SIMPLE_JSON_BYTES
  return {
    kind,
    // No `type`: any JSON, and fast-json-stringify writes an untyped value with JSON.stringify.
    // JSON null stands for SQL NULL, so a NOT NULL column refuses it (in the write path).
    schema: { description: kind === 'json' ? 'any JSON document' : 'any JSON document (simple-json)' },
    ops: NO_OPS,
    sortable: false,
    problemWith: (value) => {
      if (value === undefined || value === null) return 'must be a JSON document'
      // JSON.stringify would escape a lone surrogate (\udc00), which MariaDB's JSON_VALID refuses.
      const problem = stringsIn(value).map(unicodeProblem).find(Boolean)
      if (problem) return problem
      const text = JSON.stringify(value)
      if (Buffer.byteLength(text, 'utf8') > maxBytes) return `must be at most ${maxBytes} bytes long as JSON text`
      return undefined
    },
    toDatabase: (value) => JSON.stringify(value),
    fromDatabase: (raw) => (typeof raw === 'string' ? JSON.parse(raw) : raw),
    parseText: () => undefined,
    toCursor: (raw) => raw,
    fromCursor: () => undefined
  }
}

/** Every string in a JSON value, object keys included. */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(stringsIn)
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => [key, ...stringsIn(item)])
  return []
}
