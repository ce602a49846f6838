import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * The `Prefer` request header (RFC 7240): preferences a client asks for, each `name[=value]`
 * with optional `;parameters`, comma-separated, in one header or several. A server honours
 * what it can and names what it honoured in `Preference-Applied`; a preference it does not
 * know is ignored, as the RFC asks. Names are case-insensitive; a quoted value is unquoted.
 */
export function preferencesOf(header: string | string[] | undefined): Map<string, string> {
  const preferences = new Map<string, string>()
  if (header === undefined) return preferences
  for (const part of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [preference] = part.split(';')
    const equals = preference.indexOf('=')
    const name = (equals === -1 ? preference : preference.slice(0, equals)).trim().toLowerCase()
    if (name === '' || preferences.has(name)) continue
    const value = equals === -1 ? '' : preference.slice(equals + 1).trim().replace(/^"(.*)"$/, '$1')
    preferences.set(name, value)
  }
  return preferences
}

/** `Prefer: return=…`: `minimal` (answer a write without the row) or `representation` (with it); undefined when not sent. */
function returnPreference(request: FastifyRequest): string | undefined {
  return request.headers.prefer === undefined ? undefined : preferencesOf(request.headers.prefer).get('return')
}

/** `Prefer: return=minimal`: the client wants a write answered without the row (its Location and ETag say enough). */
export function prefersMinimal(request: FastifyRequest): boolean {
  return returnPreference(request) === 'minimal'
}

/** `Prefer: return=representation`: the client wants the rows of a write that answers with a count by default (a collection PATCH or DELETE). */
export function prefersRepresentation(request: FastifyRequest): boolean {
  return returnPreference(request) === 'representation'
}

/** Answers a write that honours `return=minimal`: `status` with no body, saying so. */
export function sendMinimal(reply: FastifyReply, status: 201 | 204): FastifyReply {
  return reply.header('preference-applied', 'return=minimal').code(status).send()
}

/** The request header as OpenAPI documents it, on every generated write route. */
export const PREFER_HEADER = {
  type: 'string',
  maxLength: 1_000,
  description: 'RFC 7240 preferences; return=minimal answers without the row (201 with Location and ETag, or 204), saying so in Preference-Applied'
}
