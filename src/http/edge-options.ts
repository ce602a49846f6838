import type { ServerOptions } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import { ConfigError, type Config } from '../config'
import { problemForError } from './error-problems'
import { buildProblem, sendProblem } from './send-problem'
import type { ProblemSlug } from './problem-types'

type EdgeOptions = Pick<
  FastifyServerOptions,
  'frameworkErrors' | 'clientErrorHandler' | 'connectionTimeout' | 'keepAliveTimeout' | 'requestTimeout' | 'routerOptions'
> & { http: ServerOptions }

/**
 * Fastify options for requests that never reach a route, so they too get problem+json:
 * - `frameworkErrors`: the router could not even decode the URL (`/orders/%FF`), or a path
 *   parameter is over maxParamLength. Fastify would answer its own JSON shape.
 * - `clientErrorHandler`: Node's HTTP parser rejected the bytes (an unknown method such as
 *   `FOO`, a malformed request line, headers too large, a request timeout). There is no
 *   request or reply yet, so the response is written to the socket, which is then closed:
 *   after a parse error nothing more on that connection can be trusted.
 * And the limits against slow or greedy clients (docs/security.md, "Edge"): Node would wait
 * 60 s for headers (checked only every 30 s) and Fastify never for a body.
 * buildApp spreads this into `Fastify({...})`.
 */
export function edgeOptions(config: Config): EdgeOptions {
  const headersTimeout = config.HTTP_HEADERS_TIMEOUT_MS
  const requestTimeout = config.HTTP_REQUEST_TIMEOUT_MS
  if (requestTimeout > 0 && headersTimeout > requestTimeout) {
    // Node would refuse it too, with a message that names neither variable.
    throw new ConfigError(
      `Invalid configuration: HTTP_HEADERS_TIMEOUT_MS (${headersTimeout}) must be <= HTTP_REQUEST_TIMEOUT_MS (${requestTimeout}) unless that is 0`
    )
  }
  return {
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
    connectionTimeout: config.HTTP_CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout,
    routerOptions: { maxParamLength: config.HTTP_MAX_PARAM_LENGTH },
    http: {
      headersTimeout,
      requestTimeout,
      maxHeaderSize: config.HTTP_MAX_HEADER_BYTES,
      connectionsCheckingInterval: timeoutCheckIntervalMs(headersTimeout, requestTimeout)
    }
  }
}

/**
 * Node enforces both timeouts by scanning its connections on an interval (30 s by default, so
 * a 60 s headers timeout cut a slowloris client off after up to 90 s). A quarter of the
 * shorter timeout, at most 1 s, keeps the overshoot small; a scan is a walk over a list.
 */
export function timeoutCheckIntervalMs(headersTimeoutMs: number, requestTimeoutMs: number): number {
  const shortest = requestTimeoutMs > 0 ? Math.min(headersTimeoutMs, requestTimeoutMs) : headersTimeoutMs
  return Math.max(25, Math.min(1_000, Math.floor(shortest / 4)))
}

function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const problem = problemForError(error)
  if (problem.source === 'internal') request.log.error({ err: error }, 'request failed before routing')
  else request.log.info({ code: error.code }, 'request refused before routing')
  sendProblem(reply, problem.slug, problem.detail, problem)
}

/** Node's clientError: `rawPacket` is the unparsed bytes (typed loosely by Fastify). */
type ClientError = Error & { code?: string; rawPacket?: unknown }

/** Node's parser error codes to problems; anything else it rejects is `malformed-request`. */
function clientProblem(error: ClientError): { slug: ProblemSlug; detail: string } {
  switch (error.code) {
    // RFC 9110 section 9.1: a method the server does not recognise is 501, not 400 or 405
    // (405 says the resource exists but refuses a method the server knows).
    case 'HPE_INVALID_METHOD':
      return { slug: 'method-not-implemented', detail: 'the request method is not one this server implements' }
    case 'HPE_HEADER_OVERFLOW':
      return { slug: 'headers-too-large', detail: 'the request headers are larger than the server accepts' }
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { slug: 'request-timeout', detail: 'the request did not arrive completely in time' }
    default:
      return { slug: 'malformed-request', detail: 'the HTTP request could not be parsed' }
  }
}

function answerClientError(this: FastifyInstance, error: ClientError, socket: Socket): void {
  // A reset connection has nobody left to answer (Fastify's default handler skips it too).
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const { slug, detail } = clientProblem(error)
  // rawPacket may hold an Authorization header: the log serializer drops it; only the code is logged here.
  this.log.debug({ code: error.code }, 'client error: %s', slug)
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const { body, headers } = buildProblem(slug, detail, requestTargetOf(error.rawPacket))
  const payload = JSON.stringify(body)
  const head = [
    `HTTP/1.1 ${body.status} ${body.title}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    `content-length: ${Buffer.byteLength(payload)}`,
    'connection: close'
  ]
  // end() flushes the response before the FIN; destroy() then frees the socket at once instead
  // of waiting for a client that may never close its side.
  socket.end(`${head.join('\r\n')}\r\n\r\n${payload}`, () => socket.destroy())
}

/** The path of the request line, for `instance`, when the parser got that far; '' otherwise. */
function requestTargetOf(rawPacket: unknown): string {
  if (!Buffer.isBuffer(rawPacket)) return ''
  const requestLine = rawPacket.subarray(0, 2048).toString('latin1').split('\r\n', 1)[0]
  const target = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ (\/[\x21-\x7e]*) HTTP\/1\.[01]$/.exec(requestLine)?.[1]
  return target ?? ''
}
