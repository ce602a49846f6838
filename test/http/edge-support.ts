import net from 'node:net'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { chromium, type Browser } from 'playwright-core'

/** Debian's chromium, as test/docs/dashboard-preview.test.ts uses it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] })
}

/** Listens on a free loopback port and returns it. */
export async function listenOnLoopback(app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  return (app.server.address() as AddressInfo).port
}

/**
 * How many connections the app's pool has lent so far, read from /metrics' own registry
 * (db_pool_acquire_seconds counts every borrow): a refusal that never reached the database
 * leaves it unchanged.
 */
export async function poolBorrows(app: FastifyInstance): Promise<number> {
  const metric = await app.metricsRegistry.getSingleMetric('db_pool_acquire_seconds')!.get()
  const values = metric.values as Array<{ metricName?: string; value: number }>
  const count = values.find((value) => value.metricName === 'db_pool_acquire_seconds_count')
  return count?.value ?? 0
}

/** A tiny HTML site on its own loopback port: a second origin for a browser test. */
export async function serveHtml(html: string): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve()))
  }
}

export interface SocketOutcome {
  /** ms from connect until the server closed the socket */
  closedAfterMs: number
  /** everything the server sent */
  received: string
}

/**
 * Connects, runs `talk` (which may keep writing while the socket is open) and resolves when the
 * server closes the connection; rejects if it is still open after `giveUpMs`.
 */
export function untilServerCloses(port: number, talk: (socket: net.Socket) => void, giveUpMs: number): Promise<SocketOutcome> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let connectedAt = 0
    const socket = net.connect(port, '127.0.0.1', () => {
      connectedAt = Date.now()
      talk(socket)
    })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`the server kept the connection open for ${giveUpMs} ms; got ${Buffer.concat(chunks).toString()}`))
    }, giveUpMs)
    socket.on('data', (chunk) => chunks.push(chunk))
    // A reset (the server destroys a socket we are still writing to) is a close too.
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ closedAfterMs: Date.now() - connectedAt, received: Buffer.concat(chunks).toString('utf8') })
    })
  })
}

/** Writes `text` one byte every `intervalMs` until the socket closes (or the text ends). */
export function trickle(socket: net.Socket, text: string, intervalMs: number): void {
  let next = 0
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable || next >= text.length) return clearInterval(timer)
    socket.write(text[next++])
  }, intervalMs)
  socket.once('close', () => clearInterval(timer))
}

/** Status line and problem body of a raw HTTP response. */
export function parseRawResponse(text: string): { status: number; headers: Record<string, string>; body: any } {
  const [head, ...rest] = text.split('\r\n\r\n')
  const [statusLine, ...headerLines] = head.split('\r\n')
  const headers = Object.fromEntries(
    headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()])
  )
  const body = rest.join('\r\n\r\n')
  return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]), headers, body: body ? JSON.parse(body) : undefined }
}
