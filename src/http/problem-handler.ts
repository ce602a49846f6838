import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { mapDatabaseError } from './database-errors'
import type { FieldError } from './errors'

/**
 * One error handler for the whole app: every error becomes RFC 9457 problem+json.
 * 4xx keep their message; 5xx are logged with the request and masked, so no SQL, stack
 * or credential reaches a client.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8'
const PROBLEM_TYPE_BASE = 'https://lifeguard.dev/problems/'

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

export function sendProblem(
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  extra: { errors?: FieldError[]; retryAfterSeconds?: number } = {}
) {
  const body: ProblemBody = {
    type: PROBLEM_TYPE_BASE + code.toLowerCase().replace(/^(lg|fst_err|fst)_/, '').replace(/_/g, '-'),
    title: httpTitle(status),
    status,
    detail,
    instance: reply.request.url
  }
  if (extra.errors) body.errors = extra.errors
  if (extra.retryAfterSeconds !== undefined) reply.header('retry-after', String(extra.retryAfterSeconds))
  return reply.code(status).type(PROBLEM_CONTENT_TYPE).serializer(JSON.stringify).send(body)
}

function httpTitle(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error')
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  428: 'Precondition Required',
  500: 'Internal Server Error',
  503: 'Service Unavailable'
}

type AjvError = { instancePath: string; message?: string; params?: Record<string, unknown> }

/** Turns Fastify/ajv validation output into `[{ path, message }]`, path like `body.price`. */
export function fieldErrors(context: string | undefined, validation: AjvError[]): FieldError[] {
  return validation.map((error) => {
    const segments = [context ?? 'request', ...error.instancePath.split('/').filter(Boolean)]
    const named = error.params?.additionalProperty ?? error.params?.missingProperty
    if (typeof named === 'string') segments.push(named)
    const message = error.params?.additionalProperty ? 'is not allowed' : (error.message ?? 'is invalid')
    return { path: segments.join('.'), message }
  })
}

async function problemHandler(app: FastifyInstance) {
  app.addSchema(problemSchema)
  app.setErrorHandler(function handleError(error: FastifyError & Record<string, any>, request: FastifyRequest, reply) {
    if (error.validation) {
      const errors = fieldErrors(error.validationContext, error.validation as AjvError[])
      const detail = errors.map((e) => `${e.path} ${e.message}`).join('; ')
      return sendProblem(reply, 400, 'LG_VALIDATION_FAILED', detail, { errors })
    }
    if (error.code === 'LG_VALIDATION_FAILED') {
      return sendProblem(reply, 400, error.code, error.message, { errors: error.errors })
    }
    const database = mapDatabaseError(error)
    if (database) {
      const log = database.statusCode >= 500 ? request.log.warn : request.log.info
      log.call(request.log, { err: error }, 'database error mapped to %d', database.statusCode)
      return sendProblem(reply, database.statusCode, database.code, database.detail, database)
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500
    if (status >= 500) {
      // A 503 is load shedding (pool timeout, full queue), expected under overload: one short
      // warning without a stack, so an overload does not also flood the logs with stacks.
      if (status === 503) request.log.warn({ code: error.code, reason: error.message }, 'request refused: 503')
      else request.log.error({ err: error }, 'request failed')
      const retryAfterSeconds = status === 503 ? (error.retryAfterSeconds ?? 1) : undefined
      const detail = status === 503 ? error.message : 'an unexpected error occurred; it has been logged'
      return sendProblem(reply, status, error.code ?? 'LG_INTERNAL', detail, { retryAfterSeconds })
    }
    return sendProblem(reply, status, error.code ?? 'LG_CLIENT_ERROR', error.message)
  })

  app.setNotFoundHandler(function handleNotFound(request, reply) {
    return sendProblem(reply, 404, 'LG_ROUTE_NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`)
  })
}

export default fp(problemHandler, { name: 'lifeguard-problems', fastify: '5.x' })
