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
 * Idempotency-Key's answer) before the COMMIT. Strings, Buffers, null and undefined go as they
 * are; so does an object under a content type that is not JSON (Fastify refuses it in send()).
 */
export function serializedPayload(reply: FastifyReply, payload: unknown): unknown {
  if (payload === undefined || payload === null || typeof payload === 'string' || Buffer.isBuffer(payload)) return payload
  if (typeof (payload as { pipe?: unknown }).pipe === 'function') return payload
  const type = reply.getHeader('content-type')
  if (type === undefined) reply.type('application/json; charset=utf-8')
  else if (!String(type).includes('json')) return payload
  return reply.serialize(payload)
}
