import fc from 'fast-check'
import type { JsonSchema } from './openapi-operations'
import { DATE_EDGE_TEXTS, INJECTION_TEXTS, MALFORMED_PERCENT_TEXTS, ODD_NUMBER_TEXTS, UNICODE_TEXTS } from './hostile-values'
import { RawJson } from './raw-json'
import { CROSS_SHRINK, baseType, boundaryValues, validValue } from './schema-arbitraries'

/**
 * Path and query parameter values: text, because that is all a URL carries. Valid text for
 * the parameter's schema, its bounds and one past them, numbers in odd spellings, hostile
 * text; percent-encoded, or (for malformed escapes) put into the URL exactly as written.
 */

/** encodeURIComponent, except that a lone surrogate becomes its WTF-8 bytes instead of a URIError. */
export function percentEncode(text: string): string {
  let out = ''
  for (const char of text) {
    const code = char.codePointAt(0)!
    if (code >= 0xd800 && code <= 0xdfff) {
      out += `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase()
    } else {
      out += encodeURIComponent(char)
    }
  }
  return out
}

function asText(value: unknown): string {
  if (value instanceof RawJson) return value.text
  if (typeof value === 'string') return value
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}

const BOOLEAN_NEAR_MISSES = ['1', '0', 'TRUE', 'True', 'yes', 'on', '', 'null', 'tru', 'true ', 'false,true'] as const

/** A comma list, as `in`/`nin` and `fields=` take: odd items, empty items, and one list past 100 items. */
const commaList = fc.oneof(
  fc
    .array(fc.oneof(fc.nat({ max: 30 }).map(String), fc.constantFrom<string>(...ODD_NUMBER_TEXTS, ...INJECTION_TEXTS, ...UNICODE_TEXTS)), { minLength: 1, maxLength: 6 })
    .map((items) => items.join(',')),
  fc.constantFrom(',', ',,', '1,', Array.from({ length: 101 }, (_, i) => String(i + 1)).join(','))
)

/** Raw (unencoded) text for one parameter of this schema. */
export function parameterText(schema: JsonSchema): fc.Arbitrary<string> {
  const boundaries = boundaryValues(schema).map(asText)
  const type = baseType(schema)
  const typed = type === 'boolean' ? [{ weight: 2, arbitrary: fc.constantFrom<string>(...BOOLEAN_NEAR_MISSES) }] : []
  const dates = schema.format === 'date-time' ? [{ weight: 2, arbitrary: fc.constantFrom<string>(...DATE_EDGE_TEXTS) }] : []
  return fc.oneof(
    CROSS_SHRINK,
    { weight: 6, arbitrary: validValue(schema).filter((value) => value !== null).map(asText) },
    ...(boundaries.length ? [{ weight: 2, arbitrary: fc.constantFrom(...boundaries) }] : []),
    ...typed,
    ...dates,
    { weight: 2, arbitrary: fc.constantFrom<string>(...ODD_NUMBER_TEXTS) },
    { weight: 1, arbitrary: fc.constantFrom<string>(...INJECTION_TEXTS, ...UNICODE_TEXTS, '\ud800', 'a\udfffb') },
    { weight: 1, arbitrary: commaList }
  )
}

/** A parameter value ready to splice into a URL: percent-encoded text, or a malformed escape as is. */
export function urlValue(schema: JsonSchema): fc.Arbitrary<string> {
  return fc.oneof(
    CROSS_SHRINK,
    { weight: 12, arbitrary: parameterText(schema).map(percentEncode) },
    { weight: 1, arbitrary: fc.constantFrom<string>(...MALFORMED_PERCENT_TEXTS) }
  )
}
