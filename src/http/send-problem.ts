import type { FastifyReply } from 'fastify'
import type { FieldError } from './errors'
import { PROBLEM_TYPES, problemTitle, problemTypeUri, type ProblemSlug } from './problem-types'

/** RFC 9457 problem details, written for one slug of problem-types.ts. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8'

/** `$id` of the shared problem+json schema, for routes' 4xx/5xx response entries (OpenAPI). */
export const PROBLEM_SCHEMA_ID = 'Problem'

export const problemSchema = {
  $id: PROBLEM_SCHEMA_ID,
  title: 'RFC 9457 problem details',
  type: 'object',
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } }
    }
  },
  required: ['type', 'title', 'status', 'detail', 'instance']
}

export interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  instance: string
  errors?: FieldError[]
}

export interface ProblemExtras {
  errors?: FieldError[]
  /** Sets Retry-After. Every 503 carries one (1 s unless given): each 503 here means "try again soon". */
  retryAfterSeconds?: number
  /** Sets WWW-Authenticate (a 401 says how to authenticate: RFC 9110 section 11.6.1). */
  challenge?: string
  /** Only for `client-error`, whose status is whichever 4xx was raised. */
  status?: number
}

/** The body and the headers it needs, for a reply or for a raw socket (client errors have no reply). */
export function buildProblem(
  slug: ProblemSlug,
  detail: string,
  instance: string,
  extra: ProblemExtras = {}
): { body: ProblemBody; headers: Record<string, string> } {
  const status = statusOf(slug, extra.status)
  const body: ProblemBody = { type: problemTypeUri(slug), title: problemTitle(status), status, detail, instance }
  if (extra.errors) body.errors = extra.errors
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE }
  const retryAfter = extra.retryAfterSeconds ?? (status === 503 ? 1 : undefined)
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter)
  if (status === 401) headers['www-authenticate'] = extra.challenge ?? 'Bearer realm="lifeguard"'
  return { body, headers }
}

function statusOf(slug: ProblemSlug, raised: number | undefined): number {
  if (slug === 'client-error' && raised !== undefined && raised >= 400 && raised < 500) return raised
  return PROBLEM_TYPES[slug].status
}

/** Sends the problem for `slug`; its status comes from the table, so the two cannot disagree. */
export function sendProblem(reply: FastifyReply, slug: ProblemSlug, detail: string, extra?: ProblemExtras): FastifyReply {
  const { body, headers } = buildProblem(slug, detail, reply.request.url, extra)
  // JSON.stringify, not the route's response serializer: a problem must never be reshaped by a 2xx schema.
  return reply.code(body.status).headers(headers).serializer(JSON.stringify).send(body)
}
