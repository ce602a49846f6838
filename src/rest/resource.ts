/**
 * `@RestResource` declares, next to an entity, what its REST routes may touch. Nothing
 * that is not listed here is reachable over HTTP: unknown fields in a query string or a
 * body are a 400, not silently ignored. The route builder (src/rest/) reads this through
 * `getRestResource(entityClass)`.
 */
export type RestOperation = 'list' | 'get' | 'create' | 'update' | 'replace' | 'delete'

/** A property of the entity, or a column inside an embedded one (`address.city`). */
export type FieldName<T> = (keyof T & string) | `${keyof T & string}.${string}`

export interface RestResourceOptions<T> {
  /** URL segment; defaults to the plural kebab-case of the class name (`BookReview` -> `book-reviews`). */
  path?: string
  /** Fields returned and selectable with `fields=`; defaults to every column. */
  readable?: Array<FieldName<T>>
  /** Fields a client may send in POST/PUT/PATCH bodies. */
  writable: Array<FieldName<T>>
  /** Fields usable in `where.<field>.<op>`; the ops allowed follow from the column type. */
  filterable: Array<FieldName<T>>
  /** Fields usable in `orderby.<field>`. */
  sortable: Array<FieldName<T>>
  /**
   * Relations a list may embed with `include=` (`author` on a book, `books` on an author): a
   * to-one relation (ManyToOne, or OneToOne holding the key) becomes an object, a to-many
   * relation (OneToMany) an array. Nothing else is reachable; what of the related rows can be
   * read follows the related entity's own `@RestResource`, which it must carry.
   */
  includable?: string[]
  /** Operations exposed; defaults to all six. */
  operations?: RestOperation[]
  /**
   * PATCH, PUT and DELETE must carry If-Match (428 without it), so no client can overwrite a
   * change it has not seen. Needs a `@VersionColumn`.
   */
  requireIfMatch?: boolean
  /**
   * PUT on an id that does not exist creates the row with that id (201) instead of a 404: for
   * clients that choose keys. Needs the replace operation. (POST with `Prefer:
   * resolution=merge-duplicates` upserts on a unique key whatever this says.)
   */
  upsert?: boolean
  /**
   * Who may do what, enforced with AUTH_MODE=jwt (with AUTH_MODE=off nobody is authenticated
   * and nothing is enforced). docs/security.md explains each rule.
   */
  rules?: RestRules<T>
}

/** A role from the token's roles claim, or `anonymous` (everyone) or `authenticated` (any valid token). */
export type Role = string

export interface RestRules<T> {
  /** Roles that may list and get; default `['authenticated']`. */
  read?: Role[]
  /** Roles that may POST; default `['authenticated']`. */
  create?: Role[]
  /** Roles that may PATCH and PUT; default `['authenticated']`. */
  update?: Role[]
  /** Roles that may DELETE; default `['authenticated']`. */
  delete?: Role[]
  /**
   * Row-level rule: the string property holding the subject (`sub`) of the token that owns the
   * row. A caller then reads, changes and deletes only its own rows (others' are 404), and a
   * create is stamped with its subject. Applied as a SQL condition, never as a filter after reading.
   */
  owner?: FieldName<T>
  /** Roles the owner rule does not restrict (they see and change every row, and may set the owner). */
  allRows?: Role[]
  /**
   * Field-level rules per role: which readable fields the role sees and which writable fields it
   * may send (`'*'`: all of them). Per kind, a caller gets the union over those of its roles whose
   * rule names that kind; when none of its roles says anything about a kind, it is unrestricted there.
   */
  fields?: Record<Role, { readable?: Array<FieldName<T>> | '*'; writable?: Array<FieldName<T>> | '*' }>
}

const resources = new WeakMap<Function, RestResourceOptions<any>>()

export function RestResource<T>(options: RestResourceOptions<T>) {
  return (target: new (...args: any[]) => T) => {
    resources.set(target, options)
  }
}

export function getRestResource(target: Function): RestResourceOptions<any> | undefined {
  return resources.get(target)
}
