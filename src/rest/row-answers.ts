import type { FastifyReply, FastifyRequest } from 'fastify'
import { prefersMinimal, sendMinimal } from './prefer'
import type { ResourceModel } from './resource-model'
import type { ResourceReader } from './resource-reader'

type Row = Record<string, unknown>

/** The row's ETag header, for an entity with a version column. */
export function setEtag(reply: FastifyReply, reader: ResourceReader, row: Row): void {
  const etag = reader.etagOf(row)
  if (etag !== undefined) reply.header('etag', etag)
}

/**
 * How a write answers with one row: its ETag, its Location when it was created (201), then the
 * row — or, with `Prefer: return=minimal`, no body (201, or 204 for a row that existed).
 */
export function answerRow(request: FastifyRequest, reply: FastifyReply, reader: ResourceReader, model: ResourceModel, row: Row, status: 200 | 201): FastifyReply {
  setEtag(reply, reader, row)
  if (status === 201) reply.header('location', `${model.path}/${encodeURIComponent(String(row[model.primary.name]))}`)
  if (prefersMinimal(request)) return sendMinimal(reply, status === 201 ? 201 : 204)
  return reply.code(status).send(row)
}

/**
 * How a write answers with an array of rows: serialised by `schema` (the route's own schema
 * serialises one row), or with `Prefer: return=minimal` no body.
 */
export function answerRows(request: FastifyRequest, reply: FastifyReply, rows: Row[], schema: Record<string, unknown>, status: 200 | 201): FastifyReply {
  if (prefersMinimal(request)) return sendMinimal(reply, status === 201 ? 201 : 204)
  return reply.code(status).type('application/json; charset=utf-8').send(reply.serializeInput(rows as unknown as Record<string, unknown>, schema))
}
