import { exampleBody, exampleValue } from './example-values'
import type { FuzzRequest } from './fuzz-request'
import { fieldOfParam, operationName, type JsonSchema, type Operation } from './openapi-operations'
import { toJsonText } from './raw-json'
import { baseType } from './schema-arbitraries'

/**
 * Inputs that are known to have been misread, as fixed requests: each must be refused with
 * a 4xx problem and change no data. Built from the OpenAPI document like the fuzzer's
 * requests, so every entity gets the same cases; everything but the input under test is
 * valid, so a refusal can only be about that input.
 */
/**
 * What the cases are about. Every category must yield cases: they are derived from the
 * document, and a category that silently derived none would be a regression test that
 * can no longer fail.
 */
export const KNOWN_BAD_CATEGORIES = ['odd id spelling', 'malformed percent-encoding', 'non-finite integer in a query', 'bad filter date', 'DECIMAL overflow', 'JSON type not coerced'] as const
export type KnownBadCategory = (typeof KNOWN_BAD_CATEGORIES)[number]

export interface KnownBadCase {
  category: KnownBadCategory
  name: string
  request: FuzzRequest
  /** Which statuses count as a refusal of this input. */
  refused: (status: number) => boolean
  expectation: string
}

const anyClientError = (status: number) => status >= 400 && status < 500
/** An id that names no row is invalid (400) or absent (404); 409 or 412 would mean it named one. */
const namesNoRow = (status: number) => status === 400 || status === 404

/**
 * Ids in spellings `Number()` reads as numbers (` 2`, `+2`, `2e0` in the brief). Each
 * spelling points at a different seeded row, so a DELETE that wrongly succeeds cannot make
 * a later case with the same target pass with a 404.
 */
export const ODD_ID_SPELLINGS: Array<{ text: string; wouldName: number | null }> = [
  { text: 'Infinity', wouldName: null },
  { text: '-Infinity', wouldName: null },
  { text: '1e400', wouldName: null },
  { text: ' 2', wouldName: 2 },
  { text: '+3', wouldName: 3 },
  { text: '4e0', wouldName: 4 },
  { text: '0x10', wouldName: 16 },
  { text: '5.0', wouldName: 5 }
]

/** Filter values that look like RFC 3339 but are a leap second, or an offset most code gets wrong. */
export const BAD_FILTER_DATES = ['2016-12-31T23:59:60Z', '2024-01-01T00:00:00-23:59', '9999-12-31T23:59:59-23:59']

export const BAD_INTEGER_QUERY_TEXTS = ['-Infinity', 'Infinity', '1e400']

function jsonRequest(method: string, url: string, body: unknown): FuzzRequest {
  return { method, url, headers: { 'content-type': 'application/json' }, payload: toJsonText(body) }
}

function keyedUrl(operation: Operation, idText: string, encode = true): string {
  const [param] = operation.pathParams
  return operation.path.replace(`{${param.name}}`, encode ? encodeURIComponent(idText) : idText)
}

function requestWithId(operation: Operation, idText: string, encode = true): FuzzRequest {
  const url = keyedUrl(operation, idText, encode)
  return operation.body ? jsonRequest(operation.method, url, exampleBody(operation.body.schema)) : { method: operation.method, url, headers: {} }
}

function idCases(keyed: Operation[]): KnownBadCase[] {
  const cases: KnownBadCase[] = []
  for (const operation of keyed) {
    for (const { text, wouldName } of ODD_ID_SPELLINGS) {
      cases.push({
        category: 'odd id spelling',
        name: `${operationName(operation)} with id ${JSON.stringify(text)}`,
        request: requestWithId(operation, text),
        refused: namesNoRow,
        expectation: wouldName === null ? 'names no row (400/404)' : `must not name row ${wouldName} (400/404)`
      })
    }
    cases.push({
      category: 'malformed percent-encoding',
      name: `${operationName(operation)} with id %FF (malformed percent-encoding)`,
      request: requestWithId(operation, '%FF', false),
      refused: anyClientError,
      expectation: '4xx problem'
    })
  }
  return cases
}

/** Query parameters that take (or filter a field of) the given kind, per the document. */
function queryParamsOf(operation: Operation, accepts: (schema: JsonSchema) => boolean) {
  return operation.queryParams.filter((param) => {
    if (param.namePattern !== undefined) return false // a pattern, not a key a URL can name as it is
    const field = fieldOfParam(operation, param)
    return accepts(param.schema) || (field !== undefined && accepts(field))
  })
}

function queryCases(lists: Operation[], category: KnownBadCategory, accepts: (schema: JsonSchema) => boolean, texts: string[]): KnownBadCase[] {
  return lists.flatMap((operation) =>
    queryParamsOf(operation, accepts).flatMap((param) =>
      texts.map((text) => ({
        category,
        name: `${operationName(operation)}?${param.name}=${text}`,
        request: { method: 'GET', url: `${operation.path}?${encodeURIComponent(param.name)}=${encodeURIComponent(text)}`, headers: {} },
        refused: anyClientError,
        expectation: '4xx problem'
      }))
    )
  )
}

function withBodyUrl(operation: Operation): string {
  return operation.pathParams.length === 0 ? operation.path : keyedUrl(operation, '1')
}

/** A DECIMAL(p,s) body field sent far past its precision: `price: 1e12` for DECIMAL(10,2). */
function numberOverflowCases(withBody: Operation[]): KnownBadCase[] {
  return withBody.flatMap((operation) =>
    Object.entries<JsonSchema>(operation.body!.schema.properties ?? {})
      .filter(([, field]) => baseType(field) === 'number')
      .map(([name]) => ({
        category: 'DECIMAL overflow' as const,
        name: `${operationName(operation)} with ${name}: 1e12`,
        request: jsonRequest(operation.method, withBodyUrl(operation), { ...exampleBody(operation.body!.schema), [name]: 1e12 }),
        refused: anyClientError,
        expectation: '4xx problem'
      }))
  )
}

/** Integer fields as JSON strings and booleans (`{"bookId":"1","quantity":true}`): no coercion of bodies. */
function wrongJsonTypeCases(withBody: Operation[]): KnownBadCase[] {
  const cases: KnownBadCase[] = []
  for (const operation of withBody) {
    const properties = operation.body!.schema.properties ?? {}
    const integers = Object.keys(properties).filter((name) => baseType(properties[name]) === 'integer')
    if (integers.length === 0) continue
    const body = exampleBody(operation.body!.schema)
    integers.forEach((name, index) => {
      body[name] = index === 0 ? String(exampleValue(properties[name])) : true
    })
    cases.push({
      category: 'JSON type not coerced',
      name: `${operationName(operation)} with ${toJsonText(Object.fromEntries(integers.map((name) => [name, body[name]])))}`,
      request: jsonRequest(operation.method, withBodyUrl(operation), body),
      refused: anyClientError,
      expectation: '4xx problem'
    })
  }
  return cases
}

/** Every case, DELETEs last: a wrongly successful DELETE removes a row later cases rely on. */
export function knownBadCases(operations: Operation[]): KnownBadCase[] {
  const keyed = operations.filter((operation) => operation.pathParams.length === 1)
  const lists = operations.filter((operation) => operation.method === 'GET' && operation.pathParams.length === 0 && operation.queryParams.length > 0)
  const withBody = operations.filter((operation) => operation.body?.schema?.properties)
  const cases = [
    ...idCases(keyed),
    ...queryCases(lists, 'non-finite integer in a query', (schema) => baseType(schema) === 'integer', BAD_INTEGER_QUERY_TEXTS),
    ...queryCases(lists, 'bad filter date', (schema) => schema.format === 'date-time', BAD_FILTER_DATES),
    ...numberOverflowCases(withBody),
    ...wrongJsonTypeCases(withBody)
  ]
  return [...cases.filter((c) => c.request.method !== 'DELETE'), ...cases.filter((c) => c.request.method === 'DELETE')]
}
