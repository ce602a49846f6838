import type { FastifyInstance } from 'fastify'
import { ANONYMOUS_ROLE, BEARER_SCHEME } from '../auth/caller'
import { accessHook, type AccessHook } from './access'
import { ACTION_OF, type AccessAction } from './access-rules'
import type { RestOperation } from './resource'
import type { ResourceModel } from './resource-model'

/** What a generated (or hand-written) route adds for access control; all empty with AUTH_MODE=off. */
export interface RouteAccess {
  /** Route options: the hook that decides the grant before the body is read. */
  hooks: { onRequest?: AccessHook }
  /** Route schema: OpenAPI `security` (optional for an operation anonymous callers may do). */
  security: { security?: Array<Record<string, string[]>> }
  /** Problem statuses the route can now answer. */
  problems: number[]
}

const NO_ACCESS_CONTROL: RouteAccess = { hooks: {}, security: {}, problems: [] }

export function routeAccess(app: FastifyInstance, model: ResourceModel, operation: RestOperation | AccessAction): RouteAccess {
  if (!app.authenticationEnforced) return NO_ACCESS_CONTROL
  const action = operation in ACTION_OF ? ACTION_OF[operation as RestOperation] : (operation as AccessAction)
  const anonymous = model.access.roles[action].includes(ANONYMOUS_ROLE)
  return {
    hooks: { onRequest: accessHook(model, action) },
    security: { security: anonymous ? [{}, { [BEARER_SCHEME]: [] }] : [{ [BEARER_SCHEME]: [] }] },
    // A refused token is a 401 even where anonymous callers are welcome.
    problems: [401, 403]
  }
}
