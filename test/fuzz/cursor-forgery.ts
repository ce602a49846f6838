import { createHash } from 'node:crypto'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import type { Operation } from './openapi-operations'
import { INJECTION_TEXTS } from './hostile-values'
import { raw, toJsonText } from './raw-json'
import { CROSS_SHRINK } from './schema-arbitraries'

/**
 * Keyset cursors taken from real `Link: <...>; rel="next"` headers, then forged: their
 * base64url JSON payload decoded, values swapped for out-of-range or other-typed ones, and
 * re-encoded. The cursor's checksum is documented as not a secret (src/rest/cursor.ts: "a
 * forged cursor gets no further than a well-formed one"), so a client can recompute it;
 * where the fuzzer can reproduce a real cursor's checksum from its URL it re-signs its
 * forgeries too, to reach the value checks behind the checksum. If that scheme changes,
 * re-signing quietly stops and only unsigned forgeries are sent.
 */
export interface HarvestedCursor {
  /** The next-page URL exactly as the Link header gave it. */
  nextUrl: string
  cursor: string
  payload: string
  values: unknown[]
  /** Recomputes the checksum for another payload; undefined if it could not be reproduced. */
  sign?: (payload: string) => string
}

const NEXT_LINK = /^<([^>]+)>; rel="next"$/

function cursorOf(url: string): string | undefined {
  const query = url.split('?')[1] ?? ''
  return new URLSearchParams(query).get('cursor') ?? undefined
}

/** First pages small enough to have a next page, unsorted and sorted by each enum-valued (orderby-like) key. */
function probeUrls(operation: Operation): string[] {
  const limit = operation.queryParams.find((param) => param.name === 'limit')
  const limitPart = limit ? `limit=${limit.schema.minimum ?? 1}` : ''
  // A nested list (`/authors/{id}/books`) pages under a parent: row 1 of every seeded table has related rows.
  const path = operation.path.replace(/\{[^}]+\}/g, '1')
  const urls = [`${path}?${limitPart}`]
  for (const param of operation.queryParams) {
    const members: unknown[] = param.schema.enum ?? []
    for (const member of members.slice(0, 2)) {
      if (typeof member === 'string') urls.push(`${path}?${encodeURIComponent(param.name)}=${encodeURIComponent(member)}&${limitPart}`)
    }
  }
  return urls
}

export async function harvestCursors(app: FastifyInstance, operation: Operation, keyNames: string[]): Promise<HarvestedCursor[]> {
  const harvested: HarvestedCursor[] = []
  for (const url of probeUrls(operation)) {
    const response = await app.inject(url)
    const link = NEXT_LINK.exec(String(response.headers.link ?? ''))
    const nextUrl = link?.[1]
    const cursor = nextUrl && cursorOf(nextUrl)
    if (!nextUrl || !cursor) continue
    const [payload, sum] = cursor.split('.')
    let values: unknown = undefined
    try {
      values = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    } catch {
      // Not base64url JSON: the cursor is opaque after all; forge it as a plain string only.
    }
    harvested.push({ nextUrl, cursor, payload, values: Array.isArray(values) ? values : [], sign: signerFor(url, payload, sum, keyNames) })
  }
  return harvested
}

function checksum(signature: string, payload: string): string {
  return createHash('sha256').update(signature).update('\n').update(payload).digest('base64url').slice(0, 16)
}

/** Finds the sort signature that reproduces the real cursor's checksum: the URL's sort keys, then a key field ascending. */
function signerFor(url: string, payload: string, sum: string | undefined, keyNames: string[]) {
  if (!sum) return undefined
  const sortTerms: string[] = []
  for (const [key, value] of new URLSearchParams(url.split('?')[1] ?? '')) {
    if (value === 'asc' || value === 'desc') sortTerms.push(`${key.split('.').pop()}:${value === 'desc' ? 'd' : 'a'}`)
  }
  const candidates = [sortTerms.join(','), ...keyNames.map((name) => [...sortTerms, `${name}:a`].join(','))]
  const signature = candidates.find((candidate) => checksum(candidate, payload) === sum)
  return signature === undefined ? undefined : (forged: string) => checksum(signature, forged)
}

/** Values a cursor slot could be forged to: other types, out of range, unparseable dates, injection. */
const FORGED_SLOT_VALUES: unknown[] = [
  -1,
  0,
  1.5,
  2 ** 32,
  2 ** 53 + 2,
  -(2 ** 63),
  raw('1e400'),
  raw('-1e400'),
  raw('-0'),
  raw('9'.repeat(40)),
  '1',
  '',
  'Infinity',
  '2016-12-31T23:59:60Z',
  '2024-01-01T00:00:00-23:59',
  'not a date',
  '9999-99-99',
  true,
  null,
  [],
  [1],
  {},
  { $gt: '' },
  raw('"\\ud800"'),
  ...INJECTION_TEXTS.slice(0, 8)
]

/** A JSON payload text derived from the real one. */
function forgedPayloadJson(values: unknown[]): fc.Arbitrary<string> {
  const slot = values.length > 0 ? fc.nat({ max: values.length - 1 }) : fc.constant(0)
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(slot, fc.constantFrom(...FORGED_SLOT_VALUES)).map(([index, value]) => toJsonText(values.map((v, i) => (i === index ? value : v)))) },
    { weight: 1, arbitrary: fc.constant(toJsonText([...values, 1])) },
    { weight: 1, arbitrary: fc.constant(toJsonText(values.slice(1))) },
    { weight: 1, arbitrary: fc.constantFrom('{}', 'null', '"x"', '1', '[', '', JSON.stringify(Object.fromEntries(values.map((v, i) => [i, v])))) }
  )
}

/** Cursor text for one list: the real one, forged ones (re-signed where possible), and random strings. */
export function forgedCursor(harvested: HarvestedCursor): fc.Arbitrary<string> {
  const encode = (json: string) => Buffer.from(json, 'utf8').toString('base64url')
  const [, realSum = ''] = harvested.cursor.split('.')
  const forgedPayload = fc.oneof(
    { weight: 8, arbitrary: forgedPayloadJson(harvested.values).map(encode) },
    // Bytes that are not UTF-8 at all, and a payload with base64 (not base64url) characters.
    { weight: 1, arbitrary: fc.constantFrom(Buffer.from([0xff, 0xfe, 0x5b]).toString('base64url'), `${harvested.payload}+/=`) }
  )
  const variants = [
    { weight: 2, arbitrary: fc.constant(harvested.cursor) },
    { weight: 3, arbitrary: forgedPayload.map((payload) => `${payload}.${realSum}`) },
    { weight: 1, arbitrary: forgedPayload },
    { weight: 1, arbitrary: fc.constantFrom(`${harvested.cursor}.x`, `.${realSum}`, '.', '..', harvested.cursor.slice(0, -1), 'x'.repeat(2_001)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) }
  ]
  const sign = harvested.sign
  if (sign) variants.push({ weight: 6, arbitrary: forgedPayload.map((payload) => `${payload}.${sign(payload)}`) })
  return fc.oneof(CROSS_SHRINK, ...variants)
}

/** The harvested next-page URL with its cursor replaced: keeps the sort the cursor was signed for. */
export function withCursor(nextUrl: string, cursor: string): string {
  const [path, query = ''] = nextUrl.split('?')
  const kept = query.split('&').filter((pair) => pair !== '' && !pair.startsWith('cursor='))
  return `${path}?${[...kept, `cursor=${encodeURIComponent(cursor)}`].join('&')}`
}
