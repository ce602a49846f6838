import net from 'node:net'
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../helper'
import { poolState } from '../support/pool-state'
import { listenOnLoopback, parseRawResponse, poolBorrows, trickle, untilServerCloses } from './edge-support'

/**
 * Slow and greedy clients against the real listening server, over raw sockets: what a
 * slowloris client or a stalled upload does to Node's HTTP server is invisible to inject().
 * Timeouts are made short through config so the file stays fast; the bounds are generous
 * (2 cores shared by several test runs) but far below Node's own defaults (60 s for headers,
 * and a body was never cut off at all).
 */

const HEADERS_TIMEOUT_MS = 1_500
const REQUEST_TIMEOUT_MS = 3_000
/** Node checks its timeouts on an interval (src/http/edge-options.ts): allow that, and a busy machine. */
const SLACK_MS = 2_500

async function slowClientApp(t: Test): Promise<{ app: FastifyInstance; port: number }> {
  const app = await buildTestApp(t, { HTTP_HEADERS_TIMEOUT_MS: HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS: REQUEST_TIMEOUT_MS })
  return { app, port: await listenOnLoopback(app) }
}

function assertRequestTimeout(t: Test, received: string) {
  const answer = parseRawResponse(received)
  t.equal(answer.status, 408, 'answered 408')
  t.match(answer.headers['content-type'], /^application\/problem\+json/)
  t.equal(answer.headers.connection, 'close')
  t.match(answer.body, { type: 'https://lifeguard.dev/problems/request-timeout', status: 408, title: 'Request Timeout' })
}

t.test('a slowloris client (headers one byte a second) is cut off at the headers timeout, the pool untouched', async (t) => {
  const { app, port } = await slowClientApp(t)
  const borrowsBefore = await poolBorrows(app)
  let activeDuringAttack = -1
  const outcome = await untilServerCloses(
    port,
    (socket) => {
      socket.write('G')
      trickle(socket, 'ET /books HTTP/1.1\r\nHost: localhost\r\nX-Slow: ' + 'x'.repeat(200), 1_000)
      setTimeout(() => (activeDuringAttack = poolState(app).active), HEADERS_TIMEOUT_MS / 2)
    },
    HEADERS_TIMEOUT_MS + SLACK_MS + 5_000
  )
  t.ok(outcome.closedAfterMs >= HEADERS_TIMEOUT_MS - 100, `not before the headers timeout (${outcome.closedAfterMs} ms)`)
  t.ok(outcome.closedAfterMs < HEADERS_TIMEOUT_MS + SLACK_MS, `within the headers timeout (${outcome.closedAfterMs} ms)`)
  assertRequestTimeout(t, outcome.received)
  t.equal(activeDuringAttack, 0, 'no connection lent while the client dribbled')
  t.equal(await poolBorrows(app), borrowsBefore, 'no connection ever borrowed for it')
})

t.test('a client that connects and sends nothing is cut off at the headers timeout too', async (t) => {
  const { app, port } = await slowClientApp(t)
  const borrowsBefore = await poolBorrows(app)
  const outcome = await untilServerCloses(port, () => undefined, HEADERS_TIMEOUT_MS + SLACK_MS + 5_000)
  t.ok(outcome.closedAfterMs < HEADERS_TIMEOUT_MS + SLACK_MS, `closed after ${outcome.closedAfterMs} ms`)
  assertRequestTimeout(t, outcome.received)
  t.equal(await poolBorrows(app), borrowsBefore)
})

t.test('a slow body is cut off at the request timeout, before any handler or connection', async (t) => {
  const { app, port } = await slowClientApp(t)
  const borrowsBefore = await poolBorrows(app)
  const body = JSON.stringify({ name: 'Slow Writer', bio: 'x'.repeat(60) })
  const outcome = await untilServerCloses(
    port,
    (socket) => {
      socket.write(`POST /authors HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`)
      trickle(socket, body, 250)
    },
    REQUEST_TIMEOUT_MS + SLACK_MS + 5_000
  )
  t.ok(outcome.closedAfterMs >= REQUEST_TIMEOUT_MS - 100, `not before the request timeout (${outcome.closedAfterMs} ms)`)
  t.ok(outcome.closedAfterMs < REQUEST_TIMEOUT_MS + SLACK_MS, `within the request timeout (${outcome.closedAfterMs} ms)`)
  assertRequestTimeout(t, outcome.received)
  t.equal(await poolBorrows(app), borrowsBefore, 'no connection borrowed')
  const authors = await app.inject('/authors?where.name.eq=Slow%20Writer')
  t.same(authors.json(), [], 'nothing was written')
})

t.test('an idle keep-alive connection is closed after HTTP_KEEP_ALIVE_TIMEOUT_MS', async (t) => {
  const app = await buildTestApp(t, { HTTP_KEEP_ALIVE_TIMEOUT_MS: 700 })
  const port = await listenOnLoopback(app)
  let answeredAt = 0
  const outcome = await untilServerCloses(
    port,
    (socket) => {
      socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n')
      socket.once('data', () => (answeredAt = Date.now()))
    },
    10_000
  )
  t.match(outcome.received, /^HTTP\/1\.1 200 /, 'the request was answered, and the connection kept alive')
  const idleMs = Date.now() - answeredAt
  t.ok(idleMs >= 600 && idleMs < 700 + SLACK_MS, `closed ${idleMs} ms after the response`)
})

t.test('HTTP_MAX_CONNECTIONS: the (N+1)th socket is closed at once, the first N keep working', async (t) => {
  const app = await buildTestApp(t, { HTTP_MAX_CONNECTIONS: 3 })
  const port = await listenOnLoopback(app)
  const open: net.Socket[] = []
  t.teardown(() => open.forEach((socket) => socket.destroy()))
  for (let i = 0; i < 3; i++) {
    open.push(await new Promise<net.Socket>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(socket))
    }))
  }
  await waitFor(async () => (await connectionsOf(app)) === 3, 'the server holds the 3 connections')
  const refused = await untilServerCloses(port, (socket) => socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n'), 5_000)
  t.equal(refused.received, '', 'the 4th socket is closed without an answer')
  t.ok(refused.closedAfterMs < 2_000, `at once (${refused.closedAfterMs} ms)`)

  const answer = await new Promise<string>((resolve) => {
    open[0].once('data', (chunk) => resolve(chunk.toString()))
    open[0].write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n')
  })
  t.match(answer, /^HTTP\/1\.1 200 /, 'a connection within the cap is served')

  open.pop()!.destroy()
  await waitFor(async () => (await connectionsOf(app)) === 2, 'one connection left')
  const response = await fetch(`http://127.0.0.1:${port}/health/live`)
  t.equal(response.status, 200, 'below the cap again, a new connection is served')
})

function connectionsOf(app: FastifyInstance): Promise<number> {
  return new Promise((resolve, reject) => app.server.getConnections((err, count) => (err ? reject(err) : resolve(count))))
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
