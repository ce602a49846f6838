import mysql from 'mysql2/promise'
import { connectionOptions } from '../baselines/database-access'

/**
 * What a request kind is held to at 1M rows: `flat` (within 2× of its 10k-row time: a cursor or
 * an index serves it, so table size should not show), `fast` (an estimated count, ≤ 5 ms at every
 * size, for what the count adds to its page), or `none` (measured to show the curve the others avoid: deep offsets, exact counts).
 */
export type Goal = 'flat' | 'fast' | 'none'

export interface RequestKind {
  name: string
  goal: Goal
  /**
   * For a count: the same request without it. What the count costs is taken round by round
   * (this kind's time minus that one's, same size, same round), since on a shared host one
   * page alone moves by more than the 5 ms the goal allows.
   */
  countOver?: string
  /** Path and query of the request, given the table's size and the cursors harvested for it. */
  path(at: SizeContext): string
}

export interface SizeContext {
  books: number
  /**
   * Real cursors the server made (Link rel="next"), 90 % of the way through their order; the
   * author's at 80 %, since at 10k rows the author's last 10 % (10 books) would not fill a page.
   */
  cursors: { byId: string; byPrice: string; byAuthor: string }
}

/** The author the filtered requests pick: 1 % of the books (authors are round-robin). */
export const AUTHOR = 7

export const REQUEST_KINDS: RequestKind[] = [
  { name: 'first page', goal: 'flat', path: () => '/books?limit=20' },
  { name: 'cursor page at 90 %', goal: 'flat', path: (at) => `/books?limit=20&cursor=${at.cursors.byId}` },
  { name: 'offset page at 90 %', goal: 'none', path: (at) => `/books?limit=20&offset=${Math.floor(at.books * 0.9)}` },
  { name: 'orderby.price first page', goal: 'flat', path: () => '/books?orderby.price=asc&limit=20' },
  {
    name: 'orderby.price cursor at 90 %',
    goal: 'flat',
    path: (at) => `/books?orderby.price=asc&limit=20&cursor=${at.cursors.byPrice}`
  },
  { name: 'where.authorId.eq first page', goal: 'flat', path: () => `/books?where.authorId.eq=${AUTHOR}&limit=20` },
  {
    name: 'where.authorId.eq cursor at 80 %',
    goal: 'flat',
    path: (at) => `/books?where.authorId.eq=${AUTHOR}&limit=20&cursor=${at.cursors.byAuthor}`
  },
  // A range on an indexed column (1 % of the rows) in id order: the index finds the rows, but
  // they must be sorted by id before the first 20 are known.
  { name: 'where.price.between (1 %) first page', goal: 'flat', path: () => '/books?where.price.between=50,50.99&limit=20' },
  { name: 'totalCount=exact', goal: 'none', countOver: 'first page', path: () => '/books?limit=20&totalCount=exact' },
  { name: 'totalCount=estimated', goal: 'fast', countOver: 'first page', path: () => '/books?limit=20&totalCount=estimated' },
  {
    name: 'where.authorId.eq + totalCount=estimated',
    goal: 'fast',
    countOver: 'where.authorId.eq first page',
    path: () => `/books?where.authorId.eq=${AUTHOR}&limit=20&totalCount=estimated`
  }
]

/**
 * Cursors near 90 % of each order, made by the server: a page filtered to start there
 * (`where.id.gte`, `where.price.gte`) answers a Link whose cursor carries only the sort values
 * (a cursor is bound to its order, not to its filters), so it then reads the unfiltered list from there.
 */
export async function harvestCursors(baseUrl: string, databaseUrl: string, books: number): Promise<SizeContext['cursors']> {
  const at90 = Math.floor(books * 0.9)
  const at80 = Math.floor(books * 0.8)
  const connection = await mysql.createConnection(connectionOptions(databaseUrl))
  let price: string
  try {
    const [[row]] = await connection.query<any[]>('SELECT CAST(price AS CHAR) AS price FROM books ORDER BY price, id LIMIT 1 OFFSET ?', [at90])
    price = row.price
  } finally {
    await connection.end()
  }
  return {
    // limit=1: the cursor is that row's, so the measured page starts right after it.
    byId: await nextCursor(baseUrl, `/books?limit=1&where.id.gte=${at90}`),
    byPrice: await nextCursor(baseUrl, `/books?orderby.price=asc&limit=1&where.price.gte=${price}`),
    byAuthor: await nextCursor(baseUrl, `/books?where.authorId.eq=${AUTHOR}&limit=1&where.id.gte=${at80}`)
  }
}

async function nextCursor(baseUrl: string, path: string): Promise<string> {
  const response = await fetch(baseUrl + path)
  await response.arrayBuffer()
  const link = response.headers.get('link')
  const url = link?.match(/^<([^>]+)>;\s*rel="next"/)?.[1]
  const cursor = url ? new URL(url, baseUrl).searchParams.get('cursor') : null
  if (response.status !== 200 || !cursor) throw new Error(`no next cursor from ${path} (status ${response.status}, link ${link})`)
  return encodeURIComponent(cursor)
}
