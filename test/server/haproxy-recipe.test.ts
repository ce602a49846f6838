import t from 'tap'
import http from 'node:http'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { adminConnection, createTestDatabase } from '../helper'
import { ROOT, operatorEnv, startServer, waitForOutput, type ServerProcess } from '../support/server-process'
import { findHaproxy, waitForPort } from '../support/haproxy'
import { freePort } from '../support/free-port'

// Issue 12 item 4: docs/ops/haproxy.cfg, the very file docs/ops/scaling.md ships, in front of two
// real server processes; only the addresses differ, through the environment variables the file
// reads. Traffic reaches both; a SIGTERM to one loses no request sent through HAProxy meanwhile.
const RECIPE = path.join(ROOT, 'docs', 'ops', 'haproxy.cfg')
const CLIENTS = 4

type Outcome = { status: number; method: string } | { error: string; method: string }

function send(agent: http.Agent, base: string, method: 'GET' | 'POST', name: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const target = method === 'GET' ? `${base}/authors?limit=1` : `${base}/authors`
    const req = http.request(target, { method, agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode!, method }))
    })
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message, method }))
    req.end(method === 'POST' ? JSON.stringify({ name }) : undefined)
  })
}

/** Requests to /authors this process counted, from its own /metrics on its admin port. */
async function authorRequests(adminBase: string): Promise<number> {
  const text = await (await fetch(`${adminBase}/metrics`)).text()
  const counts = [...text.matchAll(/^http_request_duration_seconds_count\{[^}]*route="\/authors"[^}]*\} (\d+)$/gm)]
  return counts.reduce((sum, [, n]) => sum + Number(n), 0)
}

const haproxy = findHaproxy()
const skip = haproxy ? false : 'haproxy is not installed (Debian: apt-get install haproxy; .ci/run installs it)'

t.test('the HAProxy recipe: both processes serve, and a SIGTERM to one loses no request', { skip }, async (t) => {
  const config = await createTestDatabase(t)
  const database = new URL(config.DATABASE_URL).pathname.slice(1)

  const [listen, ...ports] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()])
  const processes: Array<{ child: ServerProcess; main: string; admin: string }> = []
  for (const [port, adminPort] of [ports.slice(0, 2), ports.slice(2, 4)]) {
    const child = startServer({ DATABASE_URL: config.DATABASE_URL, PORT: String(port), ADMIN_PORT: String(adminPort) })
    t.teardown(() => child.kill('SIGKILL'))
    processes.push({ child, main: `127.0.0.1:${port}`, admin: `http://127.0.0.1:${adminPort}` })
  }
  await Promise.all(processes.map(({ child }) => waitForOutput(child, /Server listening at/)))

  const balancer = spawn(haproxy!, ['-f', RECIPE, '-db'], {
    env: operatorEnv({
      LIFEGUARD_LISTEN: `127.0.0.1:${listen}`,
      LIFEGUARD_1: processes[0].main,
      LIFEGUARD_2: processes[1].main
    }),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let balancerOutput = ''
  balancer.stdout.on('data', (chunk) => (balancerOutput += chunk))
  balancer.stderr.on('data', (chunk) => (balancerOutput += chunk))
  t.teardown(() => balancer.kill('SIGKILL'))
  await waitForPort(listen, 5_000).catch((err) => {
    throw new Error(`${err.message}; haproxy said:\n${balancerOutput}`)
  })
  const base = `http://127.0.0.1:${listen}`
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS })
  t.teardown(() => agent.destroy())

  // Both processes serve: several clients at once, as leastconn spreads them.
  const warmUp = await Promise.all(Array.from({ length: CLIENTS * 5 }, () => send(agent, base, 'GET', '')))
  t.same(warmUp.filter((outcome) => !('status' in outcome) || outcome.status !== 200), [], 'every request through HAProxy is a 200')
  const [first, second] = await Promise.all(processes.map(({ admin }) => authorRequests(admin)))
  t.ok(first > 0 && second > 0, `both processes served requests (${first} and ${second} of ${warmUp.length})`)
  const metricsThroughBalancer = await fetch(`${base}/metrics`)
  await metricsThroughBalancer.arrayBuffer()
  t.equal(metricsThroughBalancer.status, 404, '/metrics stays on the admin ports, off the balancer')

  // Keep-alive clients reading and writing while process 1 drains and exits.
  const outcomes: Outcome[] = []
  let running = true
  let written = 0
  const client = async (id: number) => {
    for (let i = 0; running; i++) {
      const method = i % 2 === 0 ? 'GET' : 'POST'
      outcomes.push(await send(agent, base, method, `drain-${id}-${written++}`))
      // A breath between requests: a steady stream, not a benchmark on two cores.
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }
  const clients = Array.from({ length: CLIENTS }, (_, id) => client(id))
  await new Promise((resolve) => setTimeout(resolve, 300))
  const draining = processes[0].child
  const sentBeforeSigterm = outcomes.length
  const servedBySecond = await authorRequests(processes[1].admin)
  draining.kill('SIGTERM')
  const exitCode = await draining.exited
  // A little traffic after the exit too: HAProxy has marked it down and sends everything to process 2.
  await new Promise((resolve) => setTimeout(resolve, 300))
  running = false
  await Promise.all(clients)

  const failed = outcomes.filter((outcome) => !('status' in outcome) || outcome.status >= 300)
  t.same(failed, [], `none of the ${outcomes.length} requests failed (${outcomes.length - sentBeforeSigterm} after the SIGTERM)`)
  t.ok(outcomes.length - sentBeforeSigterm >= 20, 'requests kept flowing through the drain')
  t.equal(exitCode, 0, 'the drained process exits 0')
  t.match(draining.output.stdout, /drained: no new connections/, 'it drained before it closed')
  t.ok((await authorRequests(processes[1].admin)) > servedBySecond, 'process 2 took over')

  // Nothing was replayed: HAProxy retries only connections that were refused, before any byte was sent.
  const created = outcomes.filter((outcome) => 'status' in outcome && outcome.status === 201).length
  const admin = await adminConnection(database)
  t.teardown(() => admin.end())
  const [[{ stored }]] = (await admin.query("SELECT COUNT(*) AS stored FROM authors WHERE name LIKE 'drain-%'")) as any
  t.equal(Number(stored), created, `each of the ${created} POSTs answered 201 stored one author, none twice`)
})
