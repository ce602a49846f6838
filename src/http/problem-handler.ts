import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AllowedMethods } from './allowed-methods'
import { problemForError, type ErrorProblem } from './error-problems'
import { maskLiterals } from './log-redaction'
import { PROBLEM_TYPES } from './problem-types'
import { schemaNamesOf, type SchemaNames } from './schema-names'
import { problemSchema, sendProblem } from './send-problem'

// Where routes and other plugins have always found these.
export { PROBLEM_CONTENT_TYPE, PROBLEM_SCHEMA_ID, problemSchema, sendProblem, type ProblemBody } from './send-problem'
export { fieldErrors } from './error-problems'

/**
 * One error handler and one not-found handler for the whole app: every error becomes RFC 9457
 * problem+json with a type from problem-types.ts. 4xx keep their message; 5xx are logged
 * with the request and masked, so no SQL, value, stack or credential reaches a client.
 * A path that exists with other methods is a 405 with Allow, not a 404.
 */
async function problemHandler(app: FastifyInstance) {
  app.addSchema(problemSchema)

  const allowedMethods = new AllowedMethods(app)
  app.addHook('onRoute', (route) => allowedMethods.add(route))

  // The DataSource is decorated after this plugin registers; its metadata is read at the first error that needs it.
  const schemaNames = (): SchemaNames | undefined => (app.hasDecorator('db') && app.db ? schemaNamesOf(app.db) : undefined)

  app.setErrorHandler(function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    const problem = problemForError(error, schemaNames())
    logProblem(request, error, problem)
    return sendProblem(reply, problem.slug, problem.detail, problem)
  })

  app.setNotFoundHandler(function handleNotFound(request, reply) {
    const path = request.url.split('?')[0]
    const allowed = allowedMethods.of(request.url)
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      reply.header('allow', allowed.join(', '))
      return sendProblem(reply, 'method-not-allowed', `${request.method} is not allowed on ${path}; it allows ${allowed.join(', ')}`)
    }
    return sendProblem(reply, 'route-not-found', `no route for ${request.method} ${path}`)
  })
}

function logProblem(request: FastifyRequest, error: FastifyError, problem: ErrorProblem): void {
  const status = PROBLEM_TYPES[problem.slug].status
  if (problem.source === 'internal') {
    request.log.error({ err: error }, 'request failed')
  } else if (problem.source === 'database') {
    // The serializer strips values and SQL from `err` (log-redaction.ts).
    const log = status >= 500 ? request.log.warn : request.log.info
    log.call(request.log, { err: error }, 'database error mapped to %d', status)
  } else if (status >= 500) {
    // A 503 is load shedding (pool timeout, full queue), expected under overload: one short
    // warning without a stack, so an overload does not also flood the logs with stacks.
    request.log.warn({ code: error.code, reason: maskLiterals(error.message) }, 'request refused: %d', status)
  }
}

export default fp(problemHandler, { name: 'lifeguard-problems', fastify: '5.x' })
