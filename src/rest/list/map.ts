import { encodeCursor } from './cursor'
import type { ListPlan } from './plan'

type Row = Record<string, unknown>

/**
 * Cuts the page's extra row (read to learn whether more follow) and returns the cursor of
 * the next page, or undefined on the last one. The cursor holds raw values, so it is taken
 * before the rows are turned into JSON.
 */
export function cutPage(rows: Row[], limit: number, plan: ListPlan): string | undefined {
  if (rows.length <= limit) return undefined
  rows.length = limit
  return encodeCursor(plan.keys, plan.signature, rows[rows.length - 1])
}

/** The same list URL with the position moved to `cursor` (an offset only applies to a first page). */
export function nextPageUrl(url: string, cursor: string): string {
  const queryStart = url.indexOf('?')
  const path = queryStart === -1 ? url : url.slice(0, queryStart)
  const kept = queryStart === -1 ? [] : url.slice(queryStart + 1).split('&').filter(keepInNextPage)
  kept.push(`cursor=${cursor}`)
  return `${path}?${kept.join('&')}`
}

function keepInNextPage(pair: string): boolean {
  return pair !== '' && !pair.startsWith('cursor=') && !pair.startsWith('offset=')
}
