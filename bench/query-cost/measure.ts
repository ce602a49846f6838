import type { AddressInfo } from 'node:net'
import { buildApp } from '../../src/app'
import { loadConfig } from '../../src/config'
import { harvestCursors, REQUEST_KINDS, type SizeContext } from './requests'

export interface KindTimes {
  name: string
  /** Milliseconds of each measured request, client side: fetch sent to body read. */
  samples: number[]
  /** X-Total-Count and Preference-Applied of the last answer, for the count kinds. */
  totalCount?: string
  countApplied?: string
  /** From REST_EXPLAIN's plan answer: what the optimiser says the page (and count) reads. */
  plan?: { scanRows: number; resultRows: number; filesort: boolean; access: string; countScanRows?: number; countAccess?: string }
}

export interface SizeRun {
  books: number
  kinds: KindTimes[]
}

export interface MeasureSettings {
  warmup: number
  repetitions: number
}

/**
 * One Lifeguard (buildApp, as src/server.ts builds it) on the size's database, listening on a
 * port and asked over real HTTP, one request at a time. Rounds interleave the kinds (one of
 * each per round) so a drift of the shared host spreads over all of them, not onto one.
 */
export async function measureSize(databaseUrl: string, books: number, settings: MeasureSettings): Promise<SizeRun> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    // The 90 % offset page at 1M rows is offset 900,000; the default bound (10,000) refuses it.
    REST_MAX_OFFSET: '0',
    REST_EXPLAIN: 'true'
  })
  const app = await buildApp(config)
  try {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    const context: SizeContext = { books, cursors: await harvestCursors(baseUrl, databaseUrl, books) }
    const kinds: KindTimes[] = REQUEST_KINDS.map((kind) => ({ name: kind.name, samples: [] }))
    for (let round = 0; round < settings.warmup + settings.repetitions; round++) {
      for (const [i, kind] of REQUEST_KINDS.entries()) {
        const { ms, response } = await timed(baseUrl + kind.path(context))
        if (round < settings.warmup) continue
        kinds[i].samples.push(ms)
        const total = response.headers.get('x-total-count')
        if (total !== null) kinds[i].totalCount = total
        const applied = response.headers.get('preference-applied')
        if (applied !== null) kinds[i].countApplied = applied
      }
    }
    for (const [i, kind] of REQUEST_KINDS.entries()) kinds[i].plan = await planOf(baseUrl + kind.path(context))
    return { books, kinds }
  } finally {
    await app.close()
  }
}

async function timed(url: string): Promise<{ ms: number; response: Response }> {
  const started = performance.now()
  const response = await fetch(url)
  await response.arrayBuffer()
  const ms = performance.now() - started
  if (response.status !== 200) throw new Error(`${url}: status ${response.status}`)
  return { ms, response }
}

async function planOf(url: string): Promise<KindTimes['plan']> {
  const response = await fetch(url, { headers: { accept: 'application/vnd.lifeguard.plan+json' } })
  const body: any = await response.json()
  if (response.status !== 200) throw new Error(`${url} (plan): status ${response.status} ${JSON.stringify(body)}`)
  return {
    scanRows: body.scanRows,
    resultRows: body.resultRows,
    filesort: body.filesort,
    access: accessOf(body.plan),
    countScanRows: body.count?.scanRows,
    countAccess: body.count ? accessOf(body.count.plan) : undefined
  }
}

/** `range IDX_books_price`: how the first table of a plan is read, from EXPLAIN FORMAT=JSON. */
export function accessOf(plan: unknown): string {
  if (Array.isArray(plan)) return plan.map(accessOf).find((found) => found !== '') ?? ''
  if (plan === null || typeof plan !== 'object') return ''
  const node = plan as Record<string, unknown>
  if (typeof node.access_type === 'string') return [node.access_type, node.key].filter((part) => typeof part === 'string').join(' ')
  for (const value of Object.values(node)) {
    const found = accessOf(value)
    if (found !== '') return found
  }
  return ''
}
