import net from 'node:net'
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../helper'

/**
 * Requests that never reach a route, sent as raw bytes over a real socket: the answer must
 * still be a well-formed HTTP response with a problem+json body (inject cannot send these).
 */
interface RawAnswer {
  status: number
  headers: Record<string, string>
  body: any
  /** The server ended the connection (we never did). */
  closedByServer: boolean
}

async function listening(t: Parameters<typeof buildTestApp>[0]): Promise<{ app: FastifyInstance; port: number }> {
  const app = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  return { app, port: address.port }
}

function sendRaw(port: number, bytes: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes))
    const chunks: Buffer[] = []
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', reject)
    socket.setTimeout(5_000, () => {
      socket.destroy()
      reject(new Error(`no close within 5 s; got ${Buffer.concat(chunks).toString()}`))
    })
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const [head, ...rest] = text.split('\r\n\r\n')
      const [statusLine, ...headerLines] = head.split('\r\n')
      const headers = Object.fromEntries(
        headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()])
      )
      const body = rest.join('\r\n\r\n')
      try {
        resolve({ status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]), headers, body: JSON.parse(body), closedByServer: true })
      } catch {
        reject(new Error(`not an HTTP response with a JSON body: ${JSON.stringify(text)}`))
      }
    })
  })
}

function assertProblem(t: Test, answer: RawAnswer, status: number, slug: string) {
  t.equal(answer.status, status, `status ${status}`)
  t.match(answer.headers['content-type'], /^application\/problem\+json/)
  t.equal(Number(answer.headers['content-length']), Buffer.byteLength(JSON.stringify(answer.body)), 'content-length matches')
  t.match(answer.body, { type: `https://lifeguard.dev/problems/${slug}`, title: String, status, detail: String, instance: String })
}

t.test('a URL that is not valid percent-encoding is a 400 bad-url problem', async (t) => {
  const { port } = await listening(t)
  for (const path of ['/orders/%FF', '/books/%E0%A4%A']) {
    const answer = await sendRaw(port, `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`)
    assertProblem(t, answer, 400, 'bad-url')
    t.equal(answer.body.instance, path)
  }
})

t.test('an unknown HTTP method is a 501 problem, then the server closes the connection', async (t) => {
  const { port } = await listening(t)
  // No "Connection: close": the server must end the connection by itself after a parse error.
  const answer = await sendRaw(port, 'FOO /authors/1 HTTP/1.1\r\nHost: localhost\r\n\r\n')
  assertProblem(t, answer, 501, 'method-not-implemented')
  t.equal(answer.headers.connection, 'close')
  t.equal(answer.body.instance, '/authors/1')
  t.ok(answer.closedByServer)
})

t.test('other bytes the HTTP parser rejects are problems too', async (t) => {
  const { port } = await listening(t)
  const garbled = await sendRaw(port, 'GET /authors/1 HTTP/9.9\r\nHost: localhost\r\n\r\n')
  assertProblem(t, garbled, 400, 'malformed-request')
  t.equal(garbled.body.instance, '', 'no path from a request line that does not parse')
  const huge = await sendRaw(port, `GET /authors HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`)
  assertProblem(t, huge, 431, 'headers-too-large')
})

t.test('the server still answers normal requests afterwards', async (t) => {
  const { port } = await listening(t)
  await sendRaw(port, 'FOO / HTTP/1.1\r\n\r\n')
  const response = await fetch(`http://127.0.0.1:${port}/health/live`)
  t.equal(response.status, 200)
})
