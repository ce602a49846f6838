import 'reflect-metadata'
import { spawn } from 'node:child_process'
import { createServer, connect, type AddressInfo, type Socket } from 'node:net'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { freePort } from './server-process'
import { prepareBenchDatabase } from './bench-database'
import { dropDatabase, TEST_SERVER_URL } from '../test/helper'

/**
 * Records the series docs/ops/dashboard-preview.html draws (docs/ops/recorded-metrics.json):
 * starts the real server (bench/servers/lifeguard-with-slow-books.ts: buildApp plus the
 * bench's 5 ms-per-row `slow_books` view) as its own process with a deliberately small pool,
 * drives it through a few load phases, and scrapes its /metrics and probes /health/ready
 * once a second, like Prometheus with a blackbox exporter would. The server reaches MariaDB
 * through a TCP relay in this process (databaseRelay), so one phase can cut the database off
 * from this server alone (readiness goes red with reason database_unreachable) without
 * touching the MariaDB other runs share.
 *
 *   npx ts-node -T bench/record-ops-metrics.ts [seconds]
 *
 * Needs the MariaDB the tests use (TEST_DATABASE_URL, default root@127.0.0.1:3306); the
 * database it creates is dropped at the end.
 */

const ROOT = path.join(__dirname, '..')
const OUT = path.join(ROOT, 'docs', 'ops', 'recorded-metrics.json')
const SECONDS = Number(process.argv[2] ?? 60)
const DATABASE = `lg_ops_record_${process.pid}`

/** Small on purpose: the overload phase must saturate it. */
const SERVER_ENV = {
  DB_POOL_SIZE: '5',
  DB_POOL_MAX_IDLE: '2',
  DB_POOL_IDLE_TIMEOUT_MS: '3000',
  DB_POOL_ACQUIRE_TIMEOUT_MS: '50',
  DB_POOL_QUEUE_LIMIT: '45',
  DB_POOL_MAX_LIFETIME_MS: '8000'
}

/** Metric families kept in the recording: the ones the dashboard's panels read. */
const KEEP = /^(db_pool_|db_errors_total|http_request|process_cpu_seconds_total|process_resident_memory_bytes|nodejs_eventloop_lag_(p99|mean)_seconds|lifeguard_ready$|lifeguard_readiness_checks_total$)/

interface Req {
  path: string
  /** A POST of this body instead of a GET. */
  post?: object
  abortAfterMs?: number
}

/** Book 1's ISBN again: the database refuses it (ER_DUP_ENTRY -> 409), which db_errors_total counts. */
const DUPLICATE_BOOK = { title: 'Duplicate', isbn: '9780000000001', price: 10, stock: 1, authorId: 1 }
const light = (i: number): Req =>
  i % 10 === 0 ? { path: '/books', post: DUPLICATE_BOOK } : { path: i % 2 ? `/books/${1 + (i % 200)}` : '/authors?limit=10' }

interface Phase {
  name: string
  /** Fraction of the run where it starts. */
  from: number
  /** Concurrent client loops. */
  clients: number
  /** What one loop iteration asks for. */
  request: (i: number) => Req
  /** 'down': the relay resets every database connection and refuses new ones while the phase lasts. */
  database?: 'down'
}

const PHASES: Phase[] = [
  { name: 'light', from: 0, clients: 2, request: light },
  { name: 'overload: slow queries, 60 clients', from: 0.25, clients: 60, request: (i) => ({ path: `/slow-books/${1 + (i % 200)}` }) },
  {
    name: 'clients hanging up',
    from: 0.55,
    clients: 8,
    request: (i) => (i % 3 === 0 ? { path: `/slow-books/${1 + (i % 200)}`, abortAfterMs: 3 } : { path: `/books/${1 + (i % 200)}` })
  },
  { name: 'database unreachable (relay resets its connections)', from: 0.75, clients: 2, request: light, database: 'down' },
  { name: 'light', from: 0.85, clients: 2, request: light }
]

/** Parses Prometheus text into `name{labels}` -> value, keeping only KEEP's families. */
export function parseMetrics(text: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line)
    if (!match || !KEEP.test(match[1])) continue
    out[match[1] + (match[2] ?? '')] = Number(match[3])
  }
  return out
}

async function main() {
  const databaseUrl = `${TEST_SERVER_URL}/${DATABASE}`
  await prepareBenchDatabase(databaseUrl, { authors: 20, books: 200 })
  const target = new URL(TEST_SERVER_URL)
  const relay = await databaseRelay(target.hostname, Number(target.port || 3306))
  const serverDatabaseUrl = new URL(databaseUrl)
  serverDatabaseUrl.hostname = '127.0.0.1'
  serverDatabaseUrl.port = String(relay.port)
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bench/servers/lifeguard-with-slow-books.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...SERVER_ENV, DATABASE_URL: serverDatabaseUrl.toString(), PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'error' },
    stdio: ['ignore', 'inherit', 'inherit']
  })
  try {
    await waitFor(`${base}/health/live`)
    const samples: Array<{ t: number; ready: number; values: Record<string, number> }> = []
    const started = Date.now()
    const end = started + SECONDS * 1000
    let phase = -1
    let stopPhase: (() => Promise<void>) | undefined
    for (let tick = 0; Date.now() <= end; tick++) {
      const fraction = (Date.now() - started) / (SECONDS * 1000)
      const next = PHASES.reduce((found, p, index) => (p.from <= fraction ? index : found), 0)
      if (next !== phase) {
        await stopPhase?.()
        phase = next
        process.stderr.write(`${Math.round((Date.now() - started) / 1000)} s: ${PHASES[phase].name}\n`)
        relay.setDown(PHASES[phase].database === 'down')
        stopPhase = drive(base, PHASES[phase])
      }
      const [metrics, ready] = await Promise.all([
        fetch(`${base}/metrics`).then((r) => r.text()),
        fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(1000) }).then((r) => (r.ok ? 1 : 0), () => 0)
      ])
      samples.push({ t: Math.round((Date.now() - started) / 100) / 10, ready, values: parseMetrics(metrics) })
      await sleep(started + (tick + 1) * 1000 - Date.now())
    }
    await stopPhase?.()
    const recording = {
      description:
        'Scraped once a second from a real Lifeguard (bench/servers/lifeguard-with-slow-books.ts) under bench/record-ops-metrics.ts load; ready = /health/ready answered 200 (what probe_success reports); the server reached MariaDB through a TCP relay that the database-unreachable phase made reset every connection',
      recordedAt: new Date().toISOString(),
      scrapeIntervalSeconds: 1,
      serverEnv: SERVER_ENV,
      phases: PHASES.map((p) => ({ name: p.name, fromSeconds: Math.round(p.from * SECONDS), clients: p.clients })),
      samples
    }
    writeFileSync(OUT, JSON.stringify(recording) + '\n')
    process.stderr.write(`wrote ${samples.length} scrapes to ${path.relative(ROOT, OUT)}\n`)
  } finally {
    // The server keeps this process's keep-alive sockets open while it drains: give it a moment, then kill.
    // A server that already exited (it crashed, or never started) fires no more 'exit': do not wait for one.
    const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000)
    await exited
    clearTimeout(killer)
    await relay.close()
    await dropDatabase(DATABASE)
  }
}

/** Runs `phase.clients` request loops until the returned stop() is called. */
function drive(base: string, phase: Phase): () => Promise<void> {
  let stopped = false
  let i = 0
  const loops = Array.from({ length: phase.clients }, async () => {
    while (!stopped) {
      const { path: url, post, abortAfterMs } = phase.request(i++)
      const signal = AbortSignal.timeout(abortAfterMs ?? 10_000)
      const init: RequestInit = post
        ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(post), signal }
        : { signal }
      await fetch(base + url, init).then((r) => r.arrayBuffer(), () => undefined)
    }
  })
  return async () => {
    stopped = true
    await Promise.all(loops)
  }
}

/**
 * A TCP relay to the database for the server under test. setDown(true) resets every relayed
 * connection and every new one (the driver sees the server close it: database_unreachable),
 * as a database restart or a firewall reset would; setDown(false) relays again.
 */
async function databaseRelay(host: string, port: number) {
  let down = false
  const open = new Set<Socket>()
  const server = createServer((client) => {
    if (down) return void client.destroy()
    const upstream = connect(port, host)
    for (const socket of [client, upstream]) {
      open.add(socket)
      socket.on('close', () => open.delete(socket))
      socket.on('error', () => undefined)
    }
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    setDown(value: boolean) {
      down = value
      if (down) for (const socket of open) socket.destroy()
    },
    close: () => {
      for (const socket of open) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

async function waitFor(url: string) {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (await fetch(url).then((r) => r.ok, () => false)) return
    await sleep(200)
  }
  throw new Error(`${url} did not answer`)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))

if (require.main === module) {
  main().catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
}
