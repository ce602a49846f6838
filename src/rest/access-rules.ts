import { AUTHENTICATED_ROLE } from '../auth/caller'
import type { RestOperation, RestRules } from './resource'
import type { RestField } from './resource-model'

/** What a rule is about: reading (list, get), or one kind of write. */
export type AccessAction = 'read' | 'create' | 'update' | 'delete'

export const ACTION_OF: Readonly<Record<RestOperation, AccessAction>> = {
  list: 'read',
  get: 'read',
  create: 'create',
  update: 'update',
  replace: 'update',
  delete: 'delete'
}

/** Without a declared rule an operation needs a valid token: closed unless opened. */
const DEFAULT_ROLES: readonly string[] = [AUTHENTICATED_ROLE]

/** A role's field sets: a list, `'all'` (declared `'*'`), or undefined when the role's rule does not say. */
export interface FieldRule {
  readable?: readonly RestField[] | 'all'
  writable?: readonly RestField[] | 'all'
}

/** `@RestResource({ rules })` checked against the entity and compiled once at start-up. */
export interface AccessRules {
  roles: Readonly<Record<AccessAction, readonly string[]>>
  owner?: RestField
  allRows: readonly string[]
  fields: ReadonlyMap<string, FieldRule>
}

export interface AccessRulesInput {
  entityName: string
  rules: RestRules<unknown> | undefined
  /** The fields a declared name stands for (throws, naming the entity, for a name that is not a column). */
  fieldsNamed(name: string, role: string): RestField[]
  readable: readonly RestField[]
  writable: readonly RestField[]
  primary: RestField
}

export function compileAccessRules({ entityName, rules = {}, fieldsNamed, readable, writable, primary }: AccessRulesInput): AccessRules {
  const roles = {} as Record<AccessAction, readonly string[]>
  for (const action of ['read', 'create', 'update', 'delete'] as const) {
    const declared = rules[action]
    if (declared !== undefined && (!Array.isArray(declared) || declared.some((role) => typeof role !== 'string' || role === ''))) {
      throw new Error(`${entityName}: rules.${action} must be a list of role names`)
    }
    roles[action] = declared ?? DEFAULT_ROLES
  }
  return {
    roles,
    owner: rules.owner === undefined ? undefined : ownerField(entityName, fieldsNamed(rules.owner, 'rules.owner')),
    allRows: rules.allRows ?? [],
    fields: fieldRules(entityName, rules.fields ?? {}, fieldsNamed, readable, writable, primary)
  }
}

function ownerField(entityName: string, fields: RestField[]): RestField {
  const [field] = fields
  if (fields.length !== 1 || field.valueSchema.type !== 'string') {
    throw new Error(`${entityName}: rules.owner must name one string column (it holds the token's subject)`)
  }
  return field
}

function fieldRules(
  entityName: string,
  declared: NonNullable<RestRules<unknown>['fields']>,
  fieldsNamed: AccessRulesInput['fieldsNamed'],
  readable: readonly RestField[],
  writable: readonly RestField[],
  primary: RestField
): Map<string, FieldRule> {
  const compiled = new Map<string, FieldRule>()
  for (const [role, rule] of Object.entries(declared)) {
    const subset = (names: string[] | '*' | undefined, kind: 'readable' | 'writable', allowed: readonly RestField[]) => {
      if (names === undefined) return undefined
      if (names === '*') return 'all' as const
      const fields = names.flatMap((name) => fieldsNamed(name, `rules.fields.${role}.${kind}`))
      const outside = fields.find((field) => !allowed.includes(field))
      if (outside) throw new Error(`${entityName}: rules.fields.${role}.${kind} names "${outside.name}", which is not ${kind} for anyone`)
      // Kept in the entity's order, so a role's default answer has the usual key order.
      return allowed.filter((field) => fields.includes(field))
    }
    const roleReadable = subset(rule.readable, 'readable', readable)
    if (Array.isArray(roleReadable) && !roleReadable.includes(primary)) {
      throw new Error(`${entityName}: rules.fields.${role}.readable must include the primary key "${primary.name}" (answers and Location name rows by it)`)
    }
    compiled.set(role, { readable: roleReadable, writable: subset(rule.writable, 'writable', writable) })
  }
  return compiled
}
