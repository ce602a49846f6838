import type { JsonSchema } from './openapi-operations'
import { baseType, numericBounds } from './schema-arbitraries'

/**
 * One deterministic valid value per schema, for the regression cases: a body that is right
 * in every field but the one under test, so a 4xx can only be about that field. Integers
 * prefer 1 (seeded rows start at id 1, so foreign keys resolve); strings are unique per call
 * (unique columns such as isbn must not turn a case into a 409).
 */
let counter = 0

export function exampleValue(schema: JsonSchema): unknown {
  switch (baseType(schema)) {
    case 'integer':
    case 'number': {
      const { min, max, minExclusive } = numericBounds(schema)
      if ((min === undefined || min < 1 || (min === 1 && !minExclusive)) && (max === undefined || max > 1)) return 1
      return min === undefined ? 0 : Math.ceil(min) + (minExclusive ? 1 : 0)
    }
    case 'boolean':
      return false
    case 'string': {
      if (Array.isArray(schema.enum)) return schema.enum.find((member: unknown) => typeof member === 'string')
      if (schema.format === 'date-time') return '2024-01-02T03:04:05.000Z'
      if (typeof schema.pattern === 'string') return '1'
      const text = `ex${++counter}-${process.pid}`
      return text.slice(-(schema.maxLength ?? text.length))
    }
    default:
      return null
  }
}

/** Every declared property with its example value (PUT needs all; POST and PATCH accept all). */
export function exampleBody(schema: JsonSchema): Record<string, unknown> {
  return Object.fromEntries(Object.entries<JsonSchema>(schema.properties ?? {}).map(([name, field]) => [name, exampleValue(field)]))
}
