import fc from 'fast-check'
import type { JsonSchema } from './openapi-operations'
import { DATE_EDGE_TEXTS, INJECTION_TEXTS, ODD_NUMBER_TEXTS, UNICODE_TEXTS } from './hostile-values'
import { raw } from './raw-json'

/** Boundaries of longer strings (TEXT and beyond) are left to test/rest/kinds-round-trip.test.ts: bodies of them make generation slow. */
const MAX_SENDABLE_LENGTH = 4_096

/**
 * JSON Schema (as OpenAPI 3.0 writes it) -> fast-check arbitraries of JSON values: values
 * the schema accepts, values on and one past each bound it states, and values of the wrong
 * type. Body values may contain RawJson tokens (`1e400`, `-0`, lone surrogates).
 */

/**
 * fc.oneof constraints: while shrinking, a failing value from a later (more hostile) branch
 * is also tried as the first branch, so a report shows the simplest input that still fails.
 * Every oneof using it lists its plainest branch first.
 */
export const CROSS_SHRINK = { withCrossShrink: true } as const

type Bounds = { min?: number; max?: number; minExclusive: boolean; maxExclusive: boolean }

/** The schema's type without `null` (3.0 `nullable: true` or a 3.1 type list). */
export function baseType(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((type: string) => type !== 'null')
  return schema.type
}

export function isNullable(schema: JsonSchema): boolean {
  return schema.nullable === true || (Array.isArray(schema.type) && schema.type.includes('null'))
}

/** OpenAPI 3.0 writes exclusiveMaximum as a flag next to maximum; JSON Schema 2020 as the bound itself. */
export function numericBounds(schema: JsonSchema): Bounds {
  const bounds: Bounds = { min: schema.minimum, max: schema.maximum, minExclusive: false, maxExclusive: false }
  if (typeof schema.exclusiveMinimum === 'number') Object.assign(bounds, { min: schema.exclusiveMinimum, minExclusive: true })
  else if (schema.exclusiveMinimum === true) bounds.minExclusive = true
  if (typeof schema.exclusiveMaximum === 'number') Object.assign(bounds, { max: schema.exclusiveMaximum, maxExclusive: true })
  else if (schema.exclusiveMaximum === true) bounds.maxExclusive = true
  return bounds
}

function integerRange(schema: JsonSchema): [number, number] {
  const { min, max, minExclusive, maxExclusive } = numericBounds(schema)
  const low = min === undefined ? -(2 ** 31) : Math.ceil(min) + (minExclusive && Number.isInteger(min) ? 1 : 0)
  const high = max === undefined ? 2 ** 31 - 1 : Math.floor(max) - (maxExclusive && Number.isInteger(max) ? 1 : 0)
  return [low, high]
}

/**
 * Valid integers, mostly small: seeded ids are small, so small values name real rows and
 * let valid requests reach the database instead of stopping at a 404.
 */
function validInteger(schema: JsonSchema): fc.Arbitrary<number> {
  const [low, high] = integerRange(schema)
  const smallLow = Math.max(low, 0)
  const smallHigh = Math.min(high, 30)
  const small = smallLow <= smallHigh ? [{ weight: 4, arbitrary: fc.integer({ min: smallLow, max: smallHigh }) }] : []
  return fc.oneof(...small, { weight: 1, arbitrary: fc.integer({ min: low, max: high }) })
}

function validNumber(schema: JsonSchema): fc.Arbitrary<number> {
  const { min, max, minExclusive, maxExclusive } = numericBounds(schema)
  const low = min ?? -1e9
  const high = max ?? 1e9
  // Cents within safe integers: fc.integer cannot draw between bounds like ±3.4e40 (a FLOAT's range).
  const centsLow = Math.max(Math.ceil(low * 100) + (minExclusive ? 1 : 0), -Number.MAX_SAFE_INTEGER)
  const centsHigh = Math.min(Math.floor(high * 100) - (maxExclusive ? 1 : 0), Number.MAX_SAFE_INTEGER)
  const cents = fc.integer({ min: centsLow, max: centsHigh }).map((value) => value / 100)
  const smallLow = Math.max(Math.ceil(low), 0)
  const smallHigh = Math.min(Math.floor(high) - 1, 100)
  const small = smallLow <= smallHigh ? [{ weight: 2, arbitrary: fc.integer({ min: smallLow, max: smallHigh }) }] : []
  const doubles = fc.double({ min: low, max: high, minExcluded: minExclusive, maxExcluded: maxExclusive, noNaN: true })
  return fc.oneof({ weight: 3, arbitrary: cents }, ...small, { weight: 1, arbitrary: doubles })
}

function validString(schema: JsonSchema): fc.Arbitrary<string> {
  if (Array.isArray(schema.enum)) {
    const members = schema.enum.filter((item: unknown) => typeof item === 'string')
    if (members.length > 0) return fc.constantFrom(...members)
  }
  if (schema.format === 'date-time') {
    return fc.date({ min: new Date('1971-01-01T00:00:00Z'), max: new Date('2037-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString())
  }
  if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern), { maxLength: 30 })
  const maxLength = Math.min(schema.maxLength ?? 60, 60)
  const minLength = Math.min(schema.minLength ?? 0, maxLength)
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme-ascii' }) },
    { weight: 1, arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme' }) }
  )
}

/** One value the schema accepts (objects and arrays are body-arbitrary.ts's job). */
export function validValue(schema: JsonSchema): fc.Arbitrary<unknown> {
  const nullable = isNullable(schema) ? [{ weight: 1, arbitrary: fc.constant(null) }] : []
  let value: fc.Arbitrary<unknown>
  switch (baseType(schema)) {
    case 'integer':
      value = validInteger(schema)
      break
    case 'number':
      value = validNumber(schema)
      break
    case 'boolean':
      value = fc.boolean()
      break
    case 'string':
      value = validString(schema)
      break
    default:
      value = fc.jsonValue({ maxDepth: 2 })
  }
  return fc.oneof({ weight: 4, arbitrary: value }, ...nullable)
}

/** Each bound the schema states, and one step past it; in JSON tokens where JS has no number for it. */
export function boundaryValues(schema: JsonSchema): unknown[] {
  switch (baseType(schema)) {
    case 'integer': {
      const [low, high] = integerRange(schema)
      return [low, high, low - 1, high + 1, 1.5, 2 ** 53, -(2 ** 53), raw('1e400'), raw('-1e400'), raw('-0'), raw('2e0'), raw('1.0'), raw('9'.repeat(30))]
    }
    case 'number': {
      const { min, max } = numericBounds(schema)
      const low = min ?? -1e9
      const high = max ?? 1e9
      // high - 0.001 is under an exclusive bound but rounds up onto it at two decimals.
      return [low, high, low - 0.01, high + 0.01, high - 0.001, high - 0.01, 1e12, -1e12, 0.005, 1e-7, raw('1e400'), raw('-1e400'), raw('1e-400'), raw('-0'), raw('9'.repeat(40))]
    }
    case 'string': {
      const values: unknown[] = ['']
      // Limits beyond the body limit (MEDIUMTEXT, LONGBLOB) cannot be reached in one request.
      if (typeof schema.maxLength === 'number' && schema.maxLength <= MAX_SENDABLE_LENGTH) {
        const n = schema.maxLength
        values.push('x'.repeat(n), 'x'.repeat(n + 1), '😀'.repeat(Math.min(n, 20_000)), '😀'.repeat(n + 1))
      }
      if (Array.isArray(schema.enum)) values.push(...schema.enum.filter((m: unknown) => typeof m === 'string').flatMap(nearMisses))
      if (schema.format === 'date-time') values.push(...DATE_EDGE_TEXTS)
      if (typeof schema.pattern === 'string') values.push(...ODD_NUMBER_TEXTS)
      return values
    }
    case 'boolean':
      return ['true', 0, 1, 'false']
    default:
      return []
  }
}

/** Enum members as a careless client or an attacker might spell them. */
export function nearMisses(member: string): string[] {
  return [member.toUpperCase(), ` ${member}`, `${member} `, member.slice(0, -1), `${member}x`, `${member}\u0000`, `${member},${member}`]
}

/** Values of some other JSON type than the schema's. */
export function wrongTypeValues(schema: JsonSchema): unknown[] {
  const type = baseType(schema)
  const candidates: Array<[string, unknown]> = [
    ['integer', 2],
    ['number', 2.5],
    ['string', '2'],
    ['string', '12.50'],
    ['boolean', true],
    ['boolean', false],
    ['array', []],
    ['array', [1]],
    ['object', {}],
    ['object', { $gt: '' }],
    ['object', { toString: 'x' }]
  ]
  const values = candidates.filter(([kind]) => kind !== type && !(type === 'number' && kind === 'integer')).map(([, value]) => value)
  if (!isNullable(schema)) values.push(null)
  return values
}

/** Strings that are only interesting to the layers behind validation. */
export const hostileString: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(...INJECTION_TEXTS, ...UNICODE_TEXTS, ...ODD_NUMBER_TEXTS),
  // JSON.stringify cannot write these: a lone surrogate and an escaped NUL, as raw JSON.
  fc.constantFrom<unknown>(raw('"\\ud800"'), raw('"a\\udfffb"'), raw('"\\u0000"'), raw('"\\ud83d\\ude00"'))
)

/** A body field value: mostly valid, often on a bound, sometimes the wrong type or hostile text. */
export function fieldValue(schema: JsonSchema): fc.Arbitrary<unknown> {
  const boundaries = boundaryValues(schema)
  return fc.oneof(
    CROSS_SHRINK,
    { weight: 5, arbitrary: validValue(schema) },
    ...(boundaries.length ? [{ weight: 2, arbitrary: fc.constantFrom(...boundaries) }] : []),
    { weight: 1, arbitrary: fc.constantFrom(...wrongTypeValues(schema)) },
    { weight: 1, arbitrary: hostileString }
  )
}
