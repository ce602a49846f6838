/**
 * Catalogs of text that has broken REST services before. They are data, not generators:
 * the arbitraries in schema-arbitraries.ts and request-arbitrary.ts draw from them, so a
 * shrunk counterexample names one of these literally.
 */

/**
 * Numbers written the ways JavaScript's `Number()` and ajv's type coercion accept but no
 * client means as a plain decimal id: each of these has been read as a valid integer
 * somewhere (`Number('0x10') === 16`, `Number(' 2') === 2`, `Number('') === 0`).
 */
export const ODD_NUMBER_TEXTS = [
  'Infinity',
  '-Infinity',
  '+Infinity',
  'NaN',
  '1e400',
  '-1e400',
  '1e-400',
  ' 2',
  '2 ',
  '\t2',
  '2\n',
  '+2',
  '2e0',
  '2E0',
  '0x10',
  '0X10',
  '0o20',
  '0b10000',
  '-0',
  '00',
  '007',
  '1.0',
  '1.',
  '.5',
  '1_000',
  '1,5',
  '',
  '9'.repeat(20),
  '9'.repeat(400),
  '-' + '9'.repeat(40),
  '1' + '0'.repeat(308),
  '4294967296',
  '-2147483649',
  '9007199254740993'
] as const

/** Text that tests encoding paths: astral planes, combining marks, direction marks, NUL, BOM. */
export const UNICODE_TEXTS = [
  '😀',
  '𝕏'.repeat(3),
  'e\u0301',
  '\u202eevil\u202c',
  '\u200f\u200e',
  'a\u0000b',
  '\u0000',
  '\ufeff',
  '\u2028\u2029',
  'Ω≈ç√',
  'ｆｕｌｌｗｉｄｔｈ',
  '\u00ff\u00fe'
] as const

/**
 * Text that is only dangerous if some layer splices it into SQL or JSON, or hands it to
 * LIKE unescaped. No entry names a SQL statement with FROM/INTO, so the leak oracle's
 * "SQL text in the body" patterns cannot be tripped by the app merely echoing input.
 */
export const INJECTION_TEXTS = [
  "' OR 1=1 --",
  '" OR ""="',
  "'; DROP TABLE books; --",
  '`',
  '`id`',
  'id`; --',
  '%',
  '_',
  '%_%',
  '\\',
  '\\%',
  "\\'",
  '?',
  '??',
  ':id',
  '$1',
  '{"$gt":""}',
  '"},{"a":1',
  '</script>',
  '${7*7}',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'true'
] as const

/**
 * Date-times that look like RFC 3339 but name no instant MariaDB can store, or name one only
 * after a conversion nobody asked for: a leap second, out-of-range offsets and fields.
 */
export const DATE_EDGE_TEXTS = [
  '2016-12-31T23:59:60Z',
  '2024-01-01T00:00:00-23:59',
  '2024-01-01T00:00:00+23:59',
  '2024-01-01T00:00:00+24:00',
  '2024-02-30T00:00:00Z',
  '2023-02-29T00:00:00Z',
  '2024-13-01T00:00:00Z',
  '2024-01-01T24:00:00Z',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '1000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '+010000-01-01T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '1969-12-31T23:59:59Z',
  '2038-01-19T03:14:08Z',
  '2024-01-01t00:00:00z',
  '2024-01-01T00:00:00',
  '2024-01-01',
  '2024-01-01T00:00:00.123456789Z',
  '2024-01-01 00:00:00Z'
] as const

/**
 * Percent-escapes that do not decode to UTF-8: invalid bytes, truncated escapes, overlong
 * forms and an encoded NUL. Put into a URL as they are (never re-encoded).
 */
export const MALFORMED_PERCENT_TEXTS = ['%FF', '%', '%G0', '%E0%A4', '%C0%AF', '%ED%A0%80', '%00', '1%FF', '%2', '%%'] as const

/** Query keys no operation declares: near-misses of real grammar, prototype keys, injection. */
export const UNKNOWN_QUERY_KEYS = [
  'where',
  'where.',
  'where..eq',
  'where.id',
  'where.id.eq.eq',
  'where.password.eq',
  "where.id' OR 1=1 --.eq",
  'where.`id`.eq',
  'orderby',
  'orderby.',
  'orderby.id`; --',
  'limit[]',
  'LIMIT',
  '__proto__',
  'constructor',
  'prototype',
  'select',
  '%00',
  ''
] as const

/** Body keys no schema declares (the schemas say `additionalProperties: false`). */
export const UNKNOWN_BODY_KEYS = ['id', 'version', 'createdAt', 'internalCode', '__proto__', 'constructor', "name' --", '`name`', '', '😀'] as const

/** Entity tags and tag lists for If-Match / If-None-Match, well-formed and not. */
export const ENTITY_TAG_TEXTS = [
  '*',
  '"1"',
  '"2"',
  'W/"1"',
  '"0"',
  '"-1"',
  '"1", "2"',
  '"1",,"3"',
  '""',
  '"',
  'garbage',
  '"Infinity"',
  '"1e400"',
  '"0x10"',
  '" 2"',
  `"${'9'.repeat(30)}"`,
  Array.from({ length: 500 }, (_, i) => `"${i}"`).join(', '),
  '*, "1"',
  "' OR 1=1 --"
] as const

/** Content-Type values a JSON route may be sent instead of `application/json`. */
export const CONTENT_TYPE_TEXTS = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/problem+json',
  'application/merge-patch+json',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/json, text/plain',
  ';;;',
  ''
] as const
