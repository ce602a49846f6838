import type { FuzzRequest, FuzzResponse } from './fuzz-request'

/**
 * The oracles that judge one response on its own (the data and pool oracles need the
 * database and live in the test): (a) no 5xx but a 503 that says why and when to retry,
 * (b) every error is RFC 9457 problem+json and leaks nothing from the layers below.
 */
export interface Violation {
  oracle: string
  /** Short and free of request data: with the oracle and the status it names a failure class. */
  kind: string
  message: string
}

export function serverErrorViolations(response: FuzzResponse): Violation[] {
  if (response.statusCode < 500) return []
  if (response.statusCode === 503) {
    const retryAfter = String(response.headers['retry-after'] ?? '')
    const detail = parseJson(response.body)?.detail
    const problems: string[] = []
    if (!/^\d+$/.test(retryAfter) && Number.isNaN(Date.parse(retryAfter))) problems.push(`Retry-After is ${JSON.stringify(retryAfter)}`)
    if (typeof detail !== 'string' || detail.trim() === '') problems.push('no reason in detail')
    return problems.length === 0 ? [] : [{ oracle: '(a) 503 without Retry-After and a reason', kind: 'bare 503', message: problems.join('; ') }]
  }
  return [{ oracle: '(a) server error', kind: `HTTP ${response.statusCode}`, message: `status ${response.statusCode}: ${response.body.slice(0, 300)}` }]
}

const PROBLEM_FIELDS = ['type', 'title', 'detail', 'instance'] as const

export function problemShapeViolations(response: FuzzResponse): Violation[] {
  if (response.statusCode < 400) return []
  // One violation per response, however many fields are off: they share one cause (usually
  // an error answered by a layer that bypasses the problem handler).
  const problems: Array<[kind: string, message: string]> = []
  const contentType = String(response.headers['content-type'] ?? '')
  if (!/^application\/problem\+json\b/i.test(contentType)) problems.push(['content-type', `content-type ${JSON.stringify(contentType)}`])
  const body = parseJson(response.body)
  if (body === undefined || body === null || typeof body !== 'object') {
    problems.push(['body', 'body is not a JSON object'])
  } else {
    const missing = PROBLEM_FIELDS.filter((field) => typeof body[field] !== 'string')
    if (missing.length > 0) problems.push(['fields', `missing or non-string ${missing.join(', ')}`])
    if (body.status !== response.statusCode) problems.push(['status', `body status ${JSON.stringify(body.status)}`])
  }
  if (problems.length === 0) return []
  return [
    {
      oracle: '(b) error is not problem+json',
      kind: problems.map(([kind]) => kind).join(', '),
      message: `${problems.map(([, message]) => message).join('; ')}; body ${response.body.slice(0, 200)}`
    }
  ]
}

/** Text that only comes from SQL, the driver, the ORM or a JavaScript stack, never from a problem written for a client. */
const LEAK_PATTERNS: Array<[string, RegExp]> = [
  ['SQL statement', /\b(SELECT\b[^"]{0,300}?\bFROM|INSERT\s+INTO|UPDATE\b[^"]{0,300}?\bSET|DELETE\s+FROM|REPLACE\s+INTO)\b/gi],
  ['quoted SQL identifier', /`\w+`\s*(=|<>|<=?|>=?|,|\.|\bAS\b|\bIN\b|\bLIKE\b)/gi],
  // Also as a problem type slug: `.../problems/er-bad-field-error` names the driver's error.
  ['MySQL error code', /\b(ER_[A-Z0-9_]{3,}|er-[a-z0-9]+(-[a-z0-9]+)+)\b/g],
  ['driver error field', /\b(sqlMessage|sqlState|errno)\b/g],
  [
    'server error text',
    /(You have an error in your SQL syntax|Incorrect \w+ value|Truncated incorrect|Out of range value|Data too long|Data truncated|Unknown column|Duplicate entry|foreign key constraint fails|Deadlock found|Lock wait timeout|Illegal mix of collations|Incorrect string value)/gi
  ],
  ['ORM error', /\b(QueryFailedError|TypeORMError|EntityNotFoundError|EntityPropertyNotFoundError|QueryRunner\w*)\b/g],
  ['stack frame', /\bat [\w$.<>]+ \([^)]*:\d+:\d+\)|\n\s+at /g],
  ['source path', /node_modules|\/work\/|\b[\w-]+\.[jt]s:\d+/g],
  ['JavaScript error', /\b(TypeError|RangeError|ReferenceError|Cannot read propert\w*|is not a function|is not defined|Maximum call stack)\b/g],
  ['connection string', /\b(mariadb|mysql):\/\//gi]
]

/**
 * Everything the client itself put into the request, decoded as the app may have decoded it.
 * A problem may quote the client's input back (`"' OR 1=1 --" is not a valid id`), and
 * that is not a leak: a match found verbatim in here is ignored.
 */
export function clientText(request: FuzzRequest): string {
  const parts = [request.url, lenientDecode(request.url), lenientDecode(request.url.replace(/\+/g, ' ')), ...Object.values(request.headers), request.payload ?? '']
  const parsed = request.payload === undefined ? undefined : parseJson(request.payload)
  // The parsed form unescapes `\u0027` and the like; nesting too deep to stringify is left out.
  if (parsed !== undefined) parts.push(...textsOf(parsed))
  return parts.join('\n').toLowerCase()
}

export function leakViolations(request: FuzzRequest, response: FuzzResponse): Violation[] {
  if (response.statusCode < 400) return []
  const body = parseJson(response.body)
  // `instance` is the request URL by definition: an echo, never a leak. Keys and values are
  // scanned unescaped, so a match can be compared with what the client sent.
  const text = body && typeof body === 'object' ? textsOf({ ...body, instance: undefined }).join('\n') : response.body
  const echoed = clientText(request)
  const violations: Violation[] = []
  for (const [what, pattern] of LEAK_PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      if (echoed.includes(match[0].toLowerCase())) continue
      violations.push({ oracle: '(b) error body leaks internals', kind: what, message: `${what}: ${JSON.stringify(match[0])} in ${response.body.slice(0, 300)}` })
      break
    }
  }
  return violations
}

export function responseViolations(request: FuzzRequest, response: FuzzResponse): Violation[] {
  return [...serverErrorViolations(response), ...problemShapeViolations(response), ...leakViolations(request, response)]
}

/** Every key and string value in a parsed JSON value, unescaped. */
function textsOf(value: unknown): string[] {
  // Iterative: request bodies nest 20,000 deep on purpose, past what recursion survives.
  const texts: string[] = []
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const item = stack.pop()
    if (typeof item === 'string') texts.push(item)
    else if (Array.isArray(item)) stack.push(...item)
    else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        texts.push(key)
        stack.push(child)
      }
    }
  }
  return texts
}

function parseJson(text: string): any {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Percent-decoding that never throws: bytes that are not UTF-8 become U+FFFD, as a lenient server would read them. */
function lenientDecode(text: string): string {
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    const escape = /^%[0-9A-Fa-f]{2}/.exec(text.slice(i, i + 3))
    if (escape) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16))
      i += 2
    } else {
      bytes.push(...Buffer.from(text[i], 'utf8'))
    }
  }
  return Buffer.from(bytes).toString('utf8')
}
