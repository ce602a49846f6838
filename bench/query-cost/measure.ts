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

export interface SizeServer {
  books: number
  baseUrl: string
  context: SizeContext
  close(): Promise<void>
}

/** One Lifeguard (buildApp, as src/server.ts builds it) on the size's database, listening on a free port. */
export async function startSizeServer(databaseUrl: string, books: number): Promise<SizeServer> {
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
    return { books, baseUrl, context: { books, cursors: await harvestCursors(baseUrl, databaseUrl, books) }, close: () => app.close() }
  } catch (err) {
    await app.close()
    throw err
  }
}

/**
 * Every size's server asked over real HTTP, one request at a time. A round is one request of
 * each kind at each size, so a drift of the shared host (other test suites) lands on every
 * size and kind alike instead of on whichever size ran while it lasted.
 */
export async function measureSizes(servers: SizeServer[], settings: MeasureSettings): Promise<SizeRun[]> {
  const runs: SizeRun[] = servers.map((server) => ({
    books: server.books,
    kinds: REQUEST_KINDS.map((kind) => ({ name: kind.name, samples: [] }))
  }))
  for (let round = 0; round < settings.warmup + settings.repetitions; round++) {
    for (const [s, server] of servers.entries()) {
      for (const [i, kind] of REQUEST_KINDS.entries()) {
        const { ms, response } = await timed(server.baseUrl + kind.path(server.context))
        if (round < settings.warmup) continue
        const times = runs[s].kinds[i]
        times.samples.push(ms)
        const total = response.headers.get('x-total-count')
        if (total !== null) times.totalCount = total
        const applied = response.headers.get('preference-applied')
        if (applied !== null) times.countApplied = applied
      }
    }
  }
  for (const [s, server] of servers.entries()) {
    for (const [i, kind] of REQUEST_KINDS.entries()) runs[s].kinds[i].plan = await planOf(server.baseUrl + kind.path(server.context))
  }
  return runs
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
