import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { ANONYMOUS_ROLE, type Caller } from '../auth/caller'
import { AccessDeniedError, AuthenticationError } from '../auth/errors'
import type { AccessAction } from './access-rules'
import type { ResourceModel, RestField } from './resource-model'
import type { FieldValue } from './body-values'

/** Rows of an owner-ruled entity a caller may touch: those whose owner column holds `subject`. */
export interface OwnerScope {
  field: RestField
  /** null for a caller without a subject: it owns no row. */
  subject: string | null
}

/** What one request may do on one entity, decided once, before the body is read. */
export interface Grant {
  /** Set when the owner rule restricts this caller. */
  owner?: OwnerScope
  /** The fields it sees; the model's own `readable` array (same identity) when unrestricted. */
  readable: readonly RestField[]
  /** The fields it may send; undefined when every writable field is allowed. */
  writable?: ReadonlySet<RestField>
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the route's access hook (src/rest/access.ts) when AUTH_MODE=jwt; null otherwise. */
    grant: Grant | null
  }
}

/** Field sets per combination of roles, computed once per entity (callers share a few role sets). */
const FIELD_GRANT_CACHE_LIMIT = 500
const fieldGrants = new WeakMap<ResourceModel, Map<string, Pick<Grant, 'readable' | 'writable'>>>()

/** Everything: a request on a route without enforcement (AUTH_MODE=off). */
export function fullGrant(model: ResourceModel): Grant {
  return { readable: model.readable }
}

/**
 * The caller's grant for `action` on `model`, or the refusal: 401 when it has no token and the
 * action needs one, 403 when its token's roles are not enough. `anonymous` in a rule means
 * everyone.
 */
export function grantFor(model: ResourceModel, caller: Caller, action: AccessAction): Grant {
  const { access } = model
  if (!holdsAny(caller, access.roles[action])) {
    if (caller.subject === undefined && caller.roles[0] === ANONYMOUS_ROLE) {
      throw new AuthenticationError(`${GERUNDS[action]} ${model.name} needs a token`)
    }
    throw new AccessDeniedError(`your roles may not ${VERBS[action]} ${model.name}`)
  }
  const grant: Grant = { ...fieldGrantOf(model, caller) }
  if (access.owner && !holdsAny(caller, access.allRows)) grant.owner = { field: access.owner, subject: caller.subject ?? null }
  return grant
}

/** An onRequest hook, typed loosely enough for any route's generics (it reads nothing route-specific). */
export type AccessHook = (request: FastifyRequest<any>, reply: FastifyReply<any>, done: HookHandlerDoneFunction) => void

/** An onRequest hook that puts the caller's grant for `action` on the request, or refuses it. */
export function accessHook(model: ResourceModel, action: AccessAction): AccessHook {
  return function checkAccess(request, _reply, done) {
    // caller is set by src/auth/plugin.ts's onRequest hook, which runs before any route's.
    try {
      request.grant = grantFor(model, request.caller!, action)
    } catch (err) {
      return done(err as Error)
    }
    done()
  }
}

/** Refuses the fields a restricted caller may not read but named (in `fields=`, a filter or a sort). */
export function refuseForbiddenReads(model: ResourceModel, grant: Grant, named: Iterable<RestField>): void {
  if (grant.readable === model.readable) return
  for (const field of named) {
    if (!grant.readable.includes(field)) throw new AccessDeniedError(`your roles may not read ${model.name}.${field.name}`)
  }
}

/** Refuses body fields a restricted caller may not write, naming them all. */
export function refuseForbiddenWrites(model: ResourceModel, grant: Grant, sent: readonly FieldValue[]): void {
  const { writable } = grant
  if (writable === undefined) return
  const refused = sent.map((each) => each.field).filter((field) => !writable.has(field as RestField))
  if (refused.length > 0) throw new AccessDeniedError(`your roles may not write ${refused.map((field) => `${model.name}.${field.name}`).join(', ')}`)
}

/**
 * A write's values under the owner rule: a create is stamped with the caller's subject (`'stamp'`);
 * an update keeps the owner (`'keep'`). Either way, naming another owner is refused: a caller
 * cannot create rows for someone else or give its rows away.
 */
export function stampOwner(model: ResourceModel, owner: OwnerScope, values: FieldValue[], mode: 'stamp' | 'keep' = 'stamp'): FieldValue[] {
  const sent = values.find((each) => each.field === owner.field)
  if (sent !== undefined && sent.value !== owner.subject) {
    throw new AccessDeniedError(`${model.name}.${owner.field.name} must be your own subject: you cannot write rows owned by someone else`)
  }
  if (mode === 'keep' || sent !== undefined) return values
  if (owner.subject === null) throw new AccessDeniedError(`a caller without a subject (sub) cannot own ${model.name} rows`)
  return [...values, { field: owner.field, value: owner.field.codec.toDatabase(owner.subject) }]
}

/** `owner = ?` in a statement's WHERE for a caller the owner rule restricts; '' otherwise. */
export function ownerCondition(model: ResourceModel, owned: boolean): string {
  return owned ? `${model.access.owner!.sqlColumn} = ?` : ''
}

function holdsAny(caller: Caller, roles: readonly string[]): boolean {
  for (const role of roles) if (role === ANONYMOUS_ROLE || caller.roles.includes(role)) return true
  return false
}

function fieldGrantOf(model: ResourceModel, caller: Caller): Pick<Grant, 'readable' | 'writable'> {
  const rules = model.access.fields
  if (rules.size === 0) return { readable: model.readable }
  const key = caller.roles.join(' ')
  let cache = fieldGrants.get(model)
  if (cache === undefined) fieldGrants.set(model, (cache = new Map()))
  let grant = cache.get(key)
  if (grant === undefined) {
    if (cache.size >= FIELD_GRANT_CACHE_LIMIT) cache.clear()
    grant = unionOfRoles(model, caller.roles)
    cache.set(key, grant)
  }
  return grant
}

/**
 * Per kind (readable, writable): the union over the caller's roles whose rule names that kind;
 * a caller none of whose roles says anything about a kind is unrestricted in it.
 */
function unionOfRoles(model: ResourceModel, roles: readonly string[]): Pick<Grant, 'readable' | 'writable'> {
  const rules = roles.map((role) => model.access.fields.get(role)).filter((rule) => rule !== undefined)
  const union = (kind: 'readable' | 'writable'): Set<RestField> | 'all' => {
    const sets = rules.map((rule) => rule[kind]).filter((set) => set !== undefined)
    if (sets.length === 0 || sets.includes('all')) return 'all'
    return new Set(sets.flatMap((set) => set as readonly RestField[]))
  }
  const readable = union('readable')
  const writable = union('writable')
  return {
    readable: readable === 'all' ? model.readable : model.readable.filter((field) => readable.has(field)),
    writable: writable === 'all' ? undefined : writable
  }
}

const VERBS: Record<AccessAction, string> = { read: 'read', create: 'create', update: 'change', delete: 'delete' }
const GERUNDS: Record<AccessAction, string> = { read: 'Reading', create: 'Creating', update: 'Changing', delete: 'Deleting' }
