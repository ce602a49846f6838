/**
 * Conditional requests on entities with a version column (RFC 9110 section 13): the ETag is
 * the version, `If-None-Match` turns a GET into 304, `If-Match` makes a write conditional.
 */
export function etagOf(version: unknown): string {
  return `"${String(version)}"`
}

function entityTags(header: string): string[] {
  return header.split(',').map((tag) => tag.trim())
}

/** If-None-Match uses the weak comparison: `W/"3"` matches `"3"`. */
export function noneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  return header.trim() === '*' || entityTags(header).some((tag) => tag.replace(/^W\//, '') === etag)
}

/**
 * The versions an `If-Match` header accepts: 'any' for `*`, otherwise the version numbers
 * its tags name. If-Match uses the strong comparison, so a weak tag (`W/"3"`) never matches,
 * and neither does a tag that is not a version; both are dropped, which can leave none.
 */
export function ifMatchVersions(header: string): 'any' | number[] {
  if (header.trim() === '*') return 'any'
  const versions = new Set<number>()
  for (const tag of entityTags(header)) {
    const match = /^"([0-9]{1,15})"$/.exec(tag)
    if (match) versions.add(Number(match[1]))
  }
  return [...versions]
}
