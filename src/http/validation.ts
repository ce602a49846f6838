import { AjvCompiler } from '@fastify/ajv-compiler'
import type Ajv from 'ajv'
import type { FastifyServerOptions } from 'fastify'
import { DECIMAL_NUMBER_TEXT, INTEGER_TEXT } from '../rest/kinds/codec'
import { parseDateTime } from '../rest/kinds/temporal'

/**
 * One validator compiler per HTTP part. Query strings, path parameters and headers arrive as
 * text, so ajv coerces them to the schema's types — but only after the text passed one strict
 * rule for numbers (decimal digits, an optional sign and fraction: no `0x10`, ` 2`, `+2`,
 * `2e0`, `Infinity`), because ajv's own coercion is JavaScript's `Number()`. Bodies are JSON
 * and already typed: they are never coerced, so `"bookId": "1"` or `"quantity": true` is a
 * 400 on every route, generated or hand-written.
 */
type ValidatorFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']
type CompilerOptions = Parameters<NonNullable<ValidatorFactory>>[1] & { customOptions?: Record<string, unknown> }
type RouteSchema = { schema: Record<string, unknown>; method: string; url: string; httpPart?: string }
type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null }

// verbose: errors carry their schema, so a message can quote the schema's own hints (x-hints).
// code.optimize off: ajv's optimisation pass (name counting over the generated code) is
// quadratic in it, and a list grammar generates a lot; with it off an app builds in 0.47 s
// instead of 1.18 s (every test builds hundreds), and a list query validates as fast (measured
// on Book's querystring: 300,000 validations in 9.4 s either way).
const BASE_OPTIONS = { removeAdditional: false, useDefaults: true, allErrors: false, verbose: true, code: { optimize: false } }


export function partAwareValidators(): NonNullable<ValidatorFactory> {
  const compilerPool = AjvCompiler()
  return (externalSchemas, serverOptions) => {
    const options = (serverOptions ?? {}) as CompilerOptions
    const build = (coerceTypes: boolean) =>
      compilerPool(externalSchemas as never, {
        ...options,
        customOptions: { ...options.customOptions, ...BASE_OPTIONS, coerceTypes },
        // After ajv-formats is added: Lifeguard's date-time replaces its own.
        onCreate: strictDateTime
      } as never) as unknown as (route: RouteSchema) => Validate
    const coercing = build(true)
    const strict = build(false)
    return ((route: RouteSchema) =>
      route.httpPart === 'body' ? strict(route) : withStrictNumbers(route.schema, coercing(route))) as never
  }
}

/**
 * Also registers `x-hints` and `x-families`. ajv-formats' date-time accepts a leap second (23:59:60, which MariaDB cannot store) and any
 * offset up to ±23:59; Lifeguard's is the one its DATETIME columns use (src/rest/kinds/temporal.ts).
 */
function strictDateTime(ajv: Ajv): void {
  ajv.addFormat('date-time', { type: 'string', validate: (text: string) => typeof parseDateTime(text) !== 'string' })
  // Hints for error messages (what is allowed instead of an unknown key); they validate nothing.
  ajv.addKeyword({ keyword: 'x-hints', schemaType: 'object' })
  // How a query string's keys group into documented parameters (src/http/openapi.ts); validates nothing.
  ajv.addKeyword({ keyword: 'x-families', schemaType: 'array' })
}

/** Wraps a query/params/headers validator so numeric properties must be plain decimal text first. */
function withStrictNumbers(schema: Record<string, unknown>, validate: Validate): Validate {
  const numeric = numericProperties(schema)
  if (numeric.length === 0) return validate
  const wrapped: Validate = (data: unknown) => {
    if (data !== null && typeof data === 'object') {
      for (const [name, rule] of numeric) {
        const value = (data as Record<string, unknown>)[name]
        if (typeof value === 'string' && !rule.test(value)) {
          wrapped.errors = [
            {
              instancePath: `/${name}`,
              keyword: 'type',
              params: {},
              message: rule === INTEGER_TEXT ? 'must be an integer in decimal digits' : 'must be a decimal number'
            }
          ]
          return false
        }
      }
    }
    const valid = validate(data)
    wrapped.errors = validate.errors
    return valid
  }
  return wrapped
}

function numericProperties(schema: Record<string, unknown>): Array<[string, RegExp]> {
  const properties = schema.properties as Record<string, { type?: unknown }> | undefined
  if (!properties) return []
  const numeric: Array<[string, RegExp]> = []
  for (const [name, property] of Object.entries(properties)) {
    const types = Array.isArray(property.type) ? property.type : [property.type]
    if (types.includes('integer')) numeric.push([name, INTEGER_TEXT])
    else if (types.includes('number')) numeric.push([name, DECIMAL_NUMBER_TEXT])
  }
  return numeric
}
