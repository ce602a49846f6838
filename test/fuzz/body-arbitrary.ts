import fc from 'fast-check'
import type { JsonSchema } from './openapi-operations'
import { CONTENT_TYPE_TEXTS, INJECTION_TEXTS, UNKNOWN_BODY_KEYS } from './hostile-values'
import { DuplicateKeys, toJsonText, withOwnKey } from './raw-json'
import { CROSS_SHRINK, fieldValue, validValue, wrongTypeValues } from './schema-arbitraries'

/**
 * Request bodies from a requestBody schema: valid objects, objects with one field broken,
 * required fields missing, unknown and duplicate keys, arrays and scalars where an object
 * is expected, deep and huge JSON on both sides of the 64 KiB body limit, text that is not
 * JSON at all, and content types that are not the documented one.
 */
export interface BodyPayload {
  /** Exact bytes sent; undefined sends no body at all. */
  text?: string
  contentType?: string
}

/** The app's body limit (src/app.ts BODY_LIMIT_BYTES); the fuzzer aims just under and just over it. */
export const BODY_LIMIT_BYTES = 64 * 1024

type Body = Record<string, unknown>

function propertiesOf(schema: JsonSchema): Record<string, JsonSchema> {
  return schema.properties ?? {}
}

/** An object the schema accepts: every required field, some optional ones, each valid. */
export function validObject(schema: JsonSchema): fc.Arbitrary<Body> {
  const properties = propertiesOf(schema)
  const required: string[] = schema.required ?? []
  const optional = Object.keys(properties).filter((name) => !required.includes(name))
  const minOptional = Math.max(0, Math.min(optional.length, (schema.minProperties ?? 0) - required.length))
  return fc.shuffledSubarray(optional, { minLength: minOptional }).chain((chosen) => {
    const names = [...required, ...chosen]
    return fc.record(Object.fromEntries(names.map((name) => [name, validValue(properties[name])])) as Record<string, fc.Arbitrary<unknown>>)
  })
}

/** One field of a valid object replaced by a bound, a wrong type or hostile text. */
function withOneFieldBroken(schema: JsonSchema): fc.Arbitrary<Body> {
  const names = Object.keys(propertiesOf(schema))
  if (names.length === 0) return validObject(schema)
  return fc
    .tuple(validObject(schema), fc.constantFrom(...names))
    .chain(([body, name]) => fieldValue(propertiesOf(schema)[name]).map((value) => ({ ...body, [name]: value })))
}

/** Every field drawn from the full mix, valid and not. */
function withEveryFieldFuzzed(schema: JsonSchema): fc.Arbitrary<Body> {
  const properties = propertiesOf(schema)
  return fc.record(Object.fromEntries(Object.entries(properties).map(([name, field]) => [name, fieldValue(field)])), { requiredKeys: [] })
}

function withoutARequiredField(schema: JsonSchema): fc.Arbitrary<Body> {
  const required: string[] = schema.required ?? []
  if (required.length === 0) return fc.constant({})
  return fc.tuple(validObject(schema), fc.constantFrom(...required)).map(([body, name]) => {
    const copy = { ...body }
    delete copy[name]
    return copy
  })
}

function withUnknownKey(schema: JsonSchema): fc.Arbitrary<Body> {
  const key = fc.constantFrom<string>(...UNKNOWN_BODY_KEYS, ...INJECTION_TEXTS)
  return fc.tuple(validObject(schema), key, fc.oneof(fc.constant<unknown>(1), fc.constant<unknown>({ x: 1 }), fc.constant<unknown>("' OR 1=1 --")))
    .map(([body, name, value]) => withOwnKey(body, name, value))
}

/** `{"name":"ok","name":12}`: which one a parser keeps is exactly what may differ between layers. */
function withDuplicateKey(schema: JsonSchema): fc.Arbitrary<DuplicateKeys> {
  const properties = propertiesOf(schema)
  const names = Object.keys(properties)
  if (names.length === 0) return fc.constant(new DuplicateKeys([['a', 1], ['a', 2]]))
  return fc.tuple(validObject(schema), fc.constantFrom(...names)).chain(([body, name]) =>
    fc.constantFrom(...wrongTypeValues(properties[name])).map(
      (second) => new DuplicateKeys([...Object.entries(body), [name, second]])
    )
  )
}

/** Structures where an object is expected. */
function notAnObject(schema: JsonSchema): fc.Arbitrary<unknown> {
  return fc.oneof(
    validObject(schema).map((body) => [body]),
    validObject(schema).map((body) => [body, body]),
    fc.constantFrom<unknown>([], [[]], null, 0, -1, '', 'x', true, {})
  )
}

/** Nesting that may hit a recursive walker's stack limit, kept under the body limit. */
function deepJson(schema: JsonSchema): fc.Arbitrary<string> {
  const names = Object.keys(propertiesOf(schema))
  const field = names[0] ?? 'a'
  return fc.constantFrom(100, 3_000, 20_000).chain((depth) =>
    fc.constantFrom(
      '['.repeat(depth) + ']'.repeat(depth),
      `{${JSON.stringify(field)}:${'{"a":'.repeat(Math.min(depth, 10_000))}1${'}'.repeat(Math.min(depth, 10_000))}}`,
      `{${JSON.stringify(field)}:${'['.repeat(depth)}${']'.repeat(depth)}}`
    )
  )
}

/** A valid object padded to a given size with a long string in some string field (or an unknown one). */
function paddedTo(schema: JsonSchema, bytes: number): fc.Arbitrary<string> {
  const properties = propertiesOf(schema)
  const stringField = Object.keys(properties).find((name) => properties[name].type === 'string' || properties[name].type?.includes?.('string'))
  return validObject(schema).map((body) => {
    const name = stringField ?? 'padding'
    const base = toJsonText({ ...body, [name]: '' })
    return toJsonText({ ...body, [name]: 'x'.repeat(Math.max(0, bytes - base.length)) })
  })
}

function manyKeys(schema: JsonSchema): fc.Arbitrary<string> {
  return validObject(schema).map((body) => {
    const extra = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`k${i}`, i]))
    return toJsonText({ ...body, ...extra })
  })
}

/** Bytes that are not one JSON value, or barely are. */
const NOT_JSON = ['', ' ', '{', '{"a":', "{'a':1}", '{"a":1,}', '\ufeff{}', '{"a":1}{"a":2}', '\u0000', 'NaN', 'undefined', '[1,]', '"\\x41"', '{"a":"\\u12"}', '1e400', 'x'.repeat(BODY_LIMIT_BYTES + 100)]

/**
 * The body's JSON text, as a hostile or careless client would write it. A body that may be one
 * row or an array of rows (`oneOf`: POST's bulk) gets both: arrays of the same mix of rows.
 */
export function bodyText(bodySchema: JsonSchema): fc.Arbitrary<string> {
  const branches: JsonSchema[] = bodySchema.oneOf ?? [bodySchema]
  const rows = branches.find((branch) => branch.type === 'array')
  const schema = branches.find((branch) => branch.type !== 'array') ?? bodySchema
  const tree = fc.oneof(
    CROSS_SHRINK,
    { weight: 6, arbitrary: validObject(schema) },
    { weight: 6, arbitrary: withOneFieldBroken(schema) },
    { weight: 2, arbitrary: withEveryFieldFuzzed(schema) },
    { weight: 1, arbitrary: withoutARequiredField(schema) },
    { weight: 2, arbitrary: withUnknownKey(schema) },
    { weight: 1, arbitrary: withDuplicateKey(schema) },
    { weight: 1, arbitrary: notAnObject(schema) }
  )
  return fc.oneof(
    CROSS_SHRINK,
    { weight: 19, arbitrary: tree.map(toJsonText) },
    ...(rows ? [{ weight: 4, arbitrary: fc.array(tree, { maxLength: 4 }).map(toJsonText) }] : []),
    { weight: 1, arbitrary: deepJson(schema) },
    { weight: 1, arbitrary: paddedTo(schema, BODY_LIMIT_BYTES - 200) },
    { weight: 1, arbitrary: paddedTo(schema, BODY_LIMIT_BYTES + 200) },
    { weight: 1, arbitrary: manyKeys(schema) },
    { weight: 1, arbitrary: fc.constantFrom(...NOT_JSON) }
  )
}

/** The Content-Type sent: mostly the documented one, sometimes another or none. */
export function contentType(documented: string[]): fc.Arbitrary<string | undefined> {
  const declared = documented.length > 0 ? documented : ['application/json']
  return fc.oneof(
    CROSS_SHRINK,
    { weight: 10, arbitrary: fc.constantFrom<string | undefined>(...declared) },
    { weight: 1, arbitrary: fc.constantFrom<string | undefined>(...CONTENT_TYPE_TEXTS) },
    { weight: 1, arbitrary: fc.constant<string | undefined>(undefined) }
  )
}

/**
 * A body for an operation: for one that documents a body, usually a generated one; for one
 * that does not, usually none, sometimes a JSON body anyway.
 */
export function bodyPayload(body: { schema: JsonSchema; contentTypes: string[] } | undefined): fc.Arbitrary<BodyPayload> {
  const schema = body?.schema ?? { type: 'object', properties: { a: { type: 'integer' } } }
  const withBody = fc.record({ text: bodyText(schema), contentType: contentType(body?.contentTypes ?? []) })
  const noBody = fc.oneof(
    fc.constant<BodyPayload>({}),
    fc.constantFrom<string | undefined>('application/json', 'text/plain').map((type): BodyPayload => ({ text: '', contentType: type }))
  )
  return body
    ? fc.oneof(CROSS_SHRINK, { weight: 20, arbitrary: withBody }, { weight: 1, arbitrary: noBody })
    : fc.oneof(CROSS_SHRINK, { weight: 8, arbitrary: fc.constant<BodyPayload>({}) }, { weight: 1, arbitrary: withBody }, { weight: 1, arbitrary: noBody })
}
