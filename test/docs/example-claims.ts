/**
 * What an example's comment promises, in the few forms the docs use for it (anything else in a
 * comment is prose for the reader and not checked):
 * - a status: the comment starts with it (`# 412: the PATCH made version 2`, `# 201 Created, ...`)
 *   or with the status line curl -i prints (`# HTTP/1.1 200 OK`);
 * - a response header: `name: value` as one comma-separated part, for the headers below
 *   (`# 201, location: /books/25, etag: "1"`). The value ends at ", ", " (" or the line's end;
 *   `…` (or `...`) in it stands for any text (`cursor=…`);
 * - a body: a JSON object in the comment; the response's JSON must hold every field it shows,
 *   with those values (`# {"id":1,"title":"Dune"}`).
 */
export interface Claims {
  status?: number
  headers: Array<{ name: string; value: string }>
  bodies: Array<Record<string, unknown>>
}

/** Response headers a comment may promise; in prose other `word:`s are just words. */
const CHECKED_HEADERS = ['etag', 'location', 'link', 'x-total-count', 'x-affected-count', 'preference-applied', 'idempotent-replayed', 'retry-after', 'allow', 'content-type']
const HEADER_CLAIM = new RegExp(`(?:^|\\s)(${CHECKED_HEADERS.join('|')}):\\s*(.+)$`, 'i')

export function parseClaims(comment: string): Claims {
  const { bodies, rest } = takeJsonObjects(comment)
  const status = /^(?:HTTP\/[\d.]+\s+)?([1-5]\d\d)(?=$|[\s:,;.])/.exec(rest.trim())
  const headers: Claims['headers'] = []
  for (const part of rest.split(/,\s+|\n/)) {
    const match = HEADER_CLAIM.exec(part.trim())
    if (match) headers.push({ name: match[1].toLowerCase(), value: match[2].split(' (')[0].trim() })
  }
  return { status: status ? Number(status[1]) : undefined, headers, bodies }
}

/** Pulls every JSON object out of the text (it may span comment lines); what is left is searched for the rest. */
function takeJsonObjects(text: string): { bodies: Claims['bodies']; rest: string } {
  const bodies: Claims['bodies'] = []
  let rest = ''
  let index = 0
  while (index < text.length) {
    const start = text.indexOf('{', index)
    if (start === -1) break
    const end = matchingBrace(text, start)
    const json = text.slice(start, end + 1)
    try {
      bodies.push(JSON.parse(json))
    } catch {
      // A brace in a comment is meant as a body; an unreadable one must not pass as prose.
      throw new Error(`comment shows a body that is not JSON: ${json}`)
    }
    rest += text.slice(index, start)
    index = end + 1
  }
  return { bodies, rest: rest + text.slice(index) }
}

function matchingBrace(text: string, start: number): number {
  let depth = 0
  let inString = false
  for (let i = start; i < text.length; i++) {
    const char = text[i]
    if (inString) {
      if (char === '\\') i++
      else if (char === '"') inString = false
    } else if (char === '"') inString = true
    else if (char === '{') depth++
    else if (char === '}' && --depth === 0) return i
  }
  return text.length - 1
}

/** A claimed header value against the real one; `…`/`...` match any text, everything else exactly. */
export function valueMatches(claimed: string, actual: string | undefined): boolean {
  if (actual === undefined) return false
  const pattern = claimed
    .split(/…|\.\.\./)
    .map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${pattern}$`, 's').test(actual)
}

/** Whether `actual` holds every field of `claimed` with equal values (nested objects alike). */
export function bodyHolds(claimed: unknown, actual: unknown): boolean {
  if (claimed === null || typeof claimed !== 'object') return Object.is(claimed, actual)
  if (actual === null || typeof actual !== 'object') return false
  if (Array.isArray(claimed)) {
    return (
      Array.isArray(actual) && claimed.length === actual.length && claimed.every((item, i) => bodyHolds(item, actual[i]))
    )
  }
  return Object.entries(claimed).every(([key, value]) => bodyHolds(value, (actual as Record<string, unknown>)[key]))
}
