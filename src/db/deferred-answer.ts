import type { FastifyReply } from 'fastify'

/**
 * What a transactional handler answers, held back until its transaction has committed: a
 * COMMIT can still fail with a lock conflict (on Galera a certification failure is a deadlock,
 * 1213, at COMMIT), and only an answer that has not been handed to Fastify can be thrown away
 * and the handler run again. A handler may answer either way Fastify allows: by returning the
 * payload or by calling `reply.send(payload)` (then returning `reply`).
 */
export interface DeferredAnswer {
  /** The payload the handler answered: the one it passed to reply.send(), else the one it returned. */
  payloadOf(result: unknown): unknown
  /** Puts reply.send back; the held payload is then sent with it. */
  restore(): void
}

export function deferSend(reply: FastifyReply): DeferredAnswer {
  let sent: { payload: unknown } | undefined
  const held = reply as Omit<FastifyReply, 'then'> & { then: unknown }
  const { send, then } = held
  held.send = function holdPayload(payload?: unknown) {
    sent = { payload }
    return reply
  } as FastifyReply['send']
  // A reply is a thenable that settles once its response is written: a handler returning it
  // (`return reply.send(x)`) would make the wrapper's await wait for a response it holds back.
  held.then = undefined
  return {
    payloadOf: (result) => (sent === undefined ? result : sent.payload),
    restore: () => {
      held.send = send
      held.then = then
    }
  }
}

/**
 * The bytes Fastify would send for `payload` (the route's response schema for the current
 * status, as reply.send() would serialise it), so they can be kept with the transaction (an
 * Idempotency-Key's answer) before the COMMIT, with the content type send() would give them.
 * Streams go as they are (nothing to keep); an object under a content type that is not JSON is
 * refused here, before the COMMIT, rather than by send() after it.
 */
export function serializedPayload(reply: FastifyReply, payload: unknown): unknown {
  if (payload === undefined || isStream(payload)) return payload
  const type = reply.getHeader('content-type')
  if (typeof payload === 'string') {
    if (type === undefined) reply.type('text/plain; charset=utf-8')
    return payload
  }
  if (Buffer.isBuffer(payload) || ArrayBuffer.isView(payload) || payload instanceof ArrayBuffer) {
    if (type === undefined) reply.type('application/octet-stream')
    return payload
  }
  if (type === undefined) reply.type('application/json; charset=utf-8')
  else if (!String(type).includes('json')) throw new TypeError(`a ${String(type)} answer must be a string, a Buffer or a stream, not an object`)
  return reply.serialize(payload)
}

function isStream(payload: unknown): boolean {
  if (typeof payload !== 'object' || payload === null) return false
  const candidate = payload as { pipe?: unknown; getReader?: unknown }
  return typeof candidate.pipe === 'function' || typeof candidate.getReader === 'function' || Object.prototype.toString.call(payload) === '[object Response]'
}

/**
 * The status and headers before an attempt, to undo what a failed attempt set: before the next
 * attempt, and before an error answer (a 503 must not carry the Location of a row never written).
 */
export function replyCheckpoint(reply: FastifyReply) {
  const status = reply.statusCode
  // Arrays copied: Fastify appends to a set-cookie array in place.
  const headers = Object.entries(reply.getHeaders()).map(([name, value]) => [name, Array.isArray(value) ? [...value] : value] as const)
  return {
    restore() {
      reply.code(status)
      for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name)
      for (const [name, value] of headers) if (value !== undefined) reply.header(name, value)
    }
  }
}
