import net from 'node:net'
import t from 'tap'
import { buildTestApp, createTestDatabase } from '../helper'
import { problemOf } from '../fixtures/seed'
import { buildApp } from '../../src/app'
import { ConfigError, loadConfig } from '../../src/config'
import { queryParameterCount } from '../../src/http/edge-limits'
import { timeoutCheckIntervalMs } from '../../src/http/edge-options'
import { listenOnLoopback, parseRawResponse, poolBorrows } from './edge-support'

const TYPE_BASE = 'https://lifeguard.dev/problems/'

t.test('the documented defaults', async (t) => {
  t.match(loadConfig({}), {
    HTTP_CONNECTION_TIMEOUT_MS: 60_000,
    HTTP_HEADERS_TIMEOUT_MS: 10_000,
    HTTP_REQUEST_TIMEOUT_MS: 30_000,
    HTTP_KEEP_ALIVE_TIMEOUT_MS: 72_000,
    HTTP_MAX_HEADER_BYTES: 16_384,
    HTTP_MAX_PARAM_LENGTH: 100,
    HTTP_MAX_QUERY_PARAMETERS: 100,
    HTTP_MAX_CONNECTIONS: 1024
  })
})

t.test('the limits reach the real server', async (t) => {
  const app = await buildTestApp(t, { HTTP_HEADERS_TIMEOUT_MS: 4_000, HTTP_REQUEST_TIMEOUT_MS: 8_000, HTTP_MAX_CONNECTIONS: 77 })
  await listenOnLoopback(app)
  t.equal(app.server.headersTimeout, 4_000)
  t.equal(app.server.requestTimeout, 8_000)
  t.equal(app.server.maxConnections, 77)
  t.equal(app.server.keepAliveTimeout, 72_000)
  t.equal(app.server.timeout, 60_000, 'HTTP_CONNECTION_TIMEOUT_MS is the socket idle timeout')
})

t.test('Node checks the timeouts often enough to honour them', async (t) => {
  t.equal(timeoutCheckIntervalMs(10_000, 30_000), 1_000, 'at most 1 s')
  t.equal(timeoutCheckIntervalMs(1_000, 2_000), 250, 'a quarter of the shorter timeout')
  t.equal(timeoutCheckIntervalMs(2_000, 0), 500, 'a request timeout of 0 (off) does not count')
  t.equal(timeoutCheckIntervalMs(1, 1), 25, 'never a busy loop')
})

t.test('a headers timeout above the request timeout is refused at start-up, naming both', async (t) => {
  const config = { ...(await createTestDatabase(t, { migrate: false })), HTTP_HEADERS_TIMEOUT_MS: 5_000, HTTP_REQUEST_TIMEOUT_MS: 2_000 }
  await t.rejects(buildApp(config), ConfigError)
  await t.rejects(buildApp(config), /HTTP_HEADERS_TIMEOUT_MS \(5000\) must be <= HTTP_REQUEST_TIMEOUT_MS \(2000\)/)
})

t.test('query-string parameters are counted as the parser sees them', async (t) => {
  t.equal(queryParameterCount('/books'), 0)
  t.equal(queryParameterCount('/books?'), 0)
  t.equal(queryParameterCount('/books?a=1'), 1)
  t.equal(queryParameterCount('/books?a=1&&b=2&'), 2, 'empty pairs are not parameters')
  t.equal(queryParameterCount('/books?a=1&a=2&flag'), 3, 'a repeated key counts each time')
})

t.test('more query parameters than HTTP_MAX_QUERY_PARAMETERS is a 400 before validation or the pool', async (t) => {
  const app = await buildTestApp(t, { HTTP_MAX_QUERY_PARAMETERS: 5 })
  const borrowsBefore = await poolBorrows(app)
  const within = await app.inject('/books?limit=1&offset=0&orderby.title=asc&fields=id,title&totalCount=true')
  t.equal(within.statusCode, 200, 'five are fine')
  t.ok((await poolBorrows(app)) > borrowsBefore, 'and that request did borrow a connection')

  const borrowsBetween = await poolBorrows(app)
  const over = await app.inject(`/books?${Array.from({ length: 500 }, (_, i) => `x${i}=1`).join('&')}`)
  const body = problemOf(t, over, 400)
  t.equal(body.type, TYPE_BASE + 'too-many-query-parameters')
  t.match(body.detail, /500 parameters; at most 5/)
  t.notOk('errors' in body, 'refused as a whole, not key by key by validation')
  t.equal(await poolBorrows(app), borrowsBetween, 'no connection borrowed')
})

t.test('HTTP_MAX_PARAM_LENGTH bounds path parameters (414)', async (t) => {
  const app = await buildTestApp(t, { HTTP_MAX_PARAM_LENGTH: 8 })
  t.equal((await app.inject('/books/12345678')).statusCode, 404, 'eight characters: looked up')
  t.equal(problemOf(t, await app.inject('/books/123456789'), 414).type, TYPE_BASE + 'uri-too-long')
})

t.test('HTTP_MAX_HEADER_BYTES bounds the headers (431), on the real socket', async (t) => {
  const app = await buildTestApp(t, { HTTP_MAX_HEADER_BYTES: 2_048 })
  const port = await listenOnLoopback(app)
  const send = (headerBytes: number) =>
    new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () =>
        socket.write(`GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Pad: ${'p'.repeat(headerBytes)}\r\n\r\n`)
      )
      let text = ''
      socket.on('data', (chunk) => (text += chunk))
      socket.on('error', reject)
      socket.on('close', () => resolve(text))
    })
  t.match(await send(1_500), /^HTTP\/1\.1 200 /, 'under the limit')
  const refused = parseRawResponse(await send(3_000))
  t.equal(refused.status, 431)
  t.equal(refused.body.type, TYPE_BASE + 'headers-too-large')
})
