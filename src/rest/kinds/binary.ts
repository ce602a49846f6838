import { NO_OPS, type ColumnCodec } from './codec'

/** Byte limits of the BLOB family. */
const BLOB_BYTES: Record<string, number> = {
  tinyblob: 255,
  blob: 65_535,
  mediumblob: 16_777_215,
  longblob: 4_294_967_295
}

/** Standard base64 (RFC 4648 §4) with padding: no whitespace, no URL-safe alphabet. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * BINARY(n), VARBINARY(n) and the BLOB family: bytes, carried in JSON as standard base64.
 * A BINARY(n) pads shorter values with zero bytes, which would change the value on its way
 * back, so it takes exactly n bytes. Not filterable (but for isNull) and not sortable.
 */
export function binaryCodec(type: string, length: number | undefined): ColumnCodec {
  const fixed = type === 'binary'
  const maxBytes = BLOB_BYTES[type] ?? length ?? 1
  const problemWith = (value: unknown) => {
    if (typeof value !== 'string' || !BASE64.test(value)) return 'must be standard base64 (with = padding)'
    const bytes = (value.length / 4) * 3 - (value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0)
    if (fixed && bytes !== maxBytes) return `must be exactly ${maxBytes} bytes (binary(${maxBytes}))`
    if (bytes > maxBytes) return `must be at most ${maxBytes} bytes (${type}${BLOB_BYTES[type] ? '' : `(${maxBytes})`})`
    return undefined
  }
  return {
    kind: 'binary',
    schema: {
      type: 'string',
      format: 'byte',
      maxLength: Math.ceil(maxBytes / 3) * 4,
      description: `${type}: base64, ${fixed ? `exactly ${maxBytes}` : `at most ${maxBytes}`} bytes`
    },
    ops: NO_OPS,
    sortable: false,
    problemWith,
    toDatabase: (value) => Buffer.from(value as string, 'base64'),
    fromDatabase: (raw) => (Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw), 'binary')).toString('base64'),
    parseText: () => undefined,
    toCursor: (raw) => raw,
    fromCursor: () => undefined
  }
}
