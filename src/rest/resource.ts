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
  /** Operations exposed; defaults to all six. */
  operations?: RestOperation[]
  /**
   * PATCH, PUT and DELETE must carry If-Match (428 without it), so no client can overwrite a
   * change it has not seen. Needs a `@VersionColumn`.
   */
  requireIfMatch?: boolean
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
