import fc from 'fast-check'
import { fieldOfParam, type Operation, type OperationParam } from './openapi-operations'
import { ENTITY_TAG_TEXTS, UNKNOWN_QUERY_KEYS } from './hostile-values'
import { bodyPayload } from './body-arbitrary'
import { forgedCursor, withCursor, type HarvestedCursor } from './cursor-forgery'
import { describeRequest, type FuzzRequest } from './fuzz-request'
import { parameterText, percentEncode, urlValue } from './url-text'
import { CROSS_SHRINK } from './schema-arbitraries'

/**
 * One operation -> an arbitrary of complete requests: its path with generated parameters,
 * a query string of declared keys (some repeated) and unknown ones, conditional headers
 * whether declared or not, and a body. Cursors come from real list responses.
 */
export interface RequestContext {
  /** Cursors harvested from this operation's own list responses, if it pages. */
  cursors: HarvestedCursor[]
}

function pathOf(operation: Operation): fc.Arbitrary<string> {
  const pieces = operation.path.split(/(\{[^}]+\})/)
  return fc.tuple(
    ...pieces.map((piece) => {
      const name = /^\{([^}]+)\}$/.exec(piece)?.[1]
      if (name === undefined) return fc.constant(piece)
      const param = operation.pathParams.find((p) => p.name === name)
      return urlValue(param?.schema ?? { type: 'string' })
    })
  ).map((parts) => parts.join(''))
}

function queryValue(operation: Operation, param: OperationParam, context: RequestContext): fc.Arbitrary<string> {
  const field = fieldOfParam(operation, param)
  // Text aimed at the filtered field's own type (its bounds, dates, odd numbers) as well as at the parameter's.
  const generic = field ? fc.oneof(urlValue(param.schema), urlValue(field)) : urlValue(param.schema)
  if (param.name !== 'cursor' || context.cursors.length === 0) return generic
  const cursor = fc.constantFrom(...context.cursors).chain(forgedCursor).map(percentEncode)
  return fc.oneof({ weight: 1, arbitrary: generic }, { weight: 3, arbitrary: cursor })
}

type Pair = [string, string]

/**
 * Declared parameters, picked family first (`where`, `orderby`, `limit`, `cursor`, ... by
 * the name before the first dot): a list declares dozens of `where.*` keys and one `limit`,
 * and picking uniformly among keys would almost never send `limit` a hostile value.
 */
function declaredPairs(operation: Operation, context: RequestContext): fc.Arbitrary<Pair[]> {
  if (operation.queryParams.length === 0) return fc.constant([])
  const families = new Map<string, OperationParam[]>()
  for (const param of operation.queryParams) {
    const family = param.name.split('.')[0]
    families.set(family, [...(families.get(family) ?? []), param])
  }
  const pick = fc.constantFrom(...families.values()).chain((members) => fc.constantFrom(...members))
  return fc
    .uniqueArray(pick, { maxLength: 4, selector: (param) => param.name })
    .chain((params) => fc.tuple(...params.map((param) => fc.tuple(keyOf(param), queryValue(operation, param, context)).map(([key, value]): Pair => [percentEncode(key), value]))))
}

/** A declared key, or one its family's pattern matches (`where.or.<label>.<field>.<op>`). */
function keyOf(param: OperationParam): fc.Arbitrary<string> {
  return param.namePattern === undefined ? fc.constant(param.name) : fc.stringMatching(new RegExp(param.namePattern))
}

/** The same key twice (`limit=5&limit=7`): parsers disagree on whether that is a list, the first, or the last. */
function withDuplicate(pairs: Pair[]): fc.Arbitrary<Pair[]> {
  if (pairs.length === 0) return fc.constant(pairs)
  return fc.tuple(fc.nat({ max: pairs.length - 1 }), fc.constantFrom('1', '', 'asc', 'x', '%FF')).map(([index, value]) => [...pairs, [pairs[index][0], value]])
}

const unknownPair: fc.Arbitrary<Pair> = fc.tuple(
  fc.constantFrom<string>(...UNKNOWN_QUERY_KEYS).map(percentEncode),
  parameterText({ type: 'string' }).map(percentEncode)
)

function queryOf(operation: Operation, context: RequestContext): fc.Arbitrary<Pair[]> {
  return declaredPairs(operation, context).chain((pairs) =>
    fc.oneof(
    CROSS_SHRINK,
      { weight: 8, arbitrary: fc.constant(pairs) },
      { weight: 1, arbitrary: withDuplicate(pairs) },
      { weight: 1, arbitrary: unknownPair.map((extra) => [...pairs, extra]) }
    )
  )
}

function urlOf(operation: Operation, context: RequestContext): fc.Arbitrary<string> {
  const built = fc.tuple(pathOf(operation), queryOf(operation, context)).map(([path, pairs]) =>
    pairs.length === 0 ? path : `${path}?${pairs.map(([key, value]) => `${key}=${value}`).join('&')}`
  )
  if (context.cursors.length === 0) return built
  // A next-page URL with its cursor forged keeps the sort it was signed for, so a re-signed
  // forgery gets past the checksum to the value checks.
  const nextPage = fc.constantFrom(...context.cursors).chain((harvested) => forgedCursor(harvested).map((cursor) => withCursor(harvested.nextUrl, cursor)))
  return fc.oneof(CROSS_SHRINK, { weight: 3, arbitrary: built }, { weight: 1, arbitrary: nextPage })
}

/** A header value a client can send at all: anything outside visible Latin-1 is percent-encoded. */
function headerSafe(text: string): string {
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(text) ? text : percentEncode(text)
}

function headersOf(operation: Operation): fc.Arbitrary<Record<string, string>> {
  const declared = operation.headerParams.map((param) =>
    fc.option(parameterText(param.schema).map(headerSafe), { nil: undefined }).map((value): [string, string | undefined] => [param.name.toLowerCase(), value])
  )
  // Conditional headers are sent to every operation, documented or not: an undeclared
  // If-Match must be ignored or refused, never half-applied.
  const tag = fc.option(fc.constantFrom<string>(...ENTITY_TAG_TEXTS), { nil: undefined, freq: 3 })
  return fc.tuple(fc.tuple(...declared), tag, tag).map(([pairs, ifMatch, ifNoneMatch]) => {
    const headers: Record<string, string> = {}
    for (const [name, value] of pairs) if (value !== undefined) headers[name] = value
    if (ifMatch !== undefined) headers['if-match'] = ifMatch
    if (ifNoneMatch !== undefined) headers['if-none-match'] = ifNoneMatch
    return headers
  })
}

export function requestFor(operation: Operation, context: RequestContext): fc.Arbitrary<FuzzRequest> {
  return fc.tuple(urlOf(operation, context), headersOf(operation), bodyPayload(operation.body)).map(([url, headers, body]) => {
    const request: FuzzRequest = { method: operation.method, url, headers: { ...headers }, payload: body.text }
    if (body.contentType !== undefined) request.headers['content-type'] = body.contentType
    // fast-check prints counterexamples with this; the default would dump a 64 KiB body whole.
    Object.defineProperty(request, fc.toStringMethod, { value: () => describeRequest(request), enumerable: false })
    return request
  })
}
